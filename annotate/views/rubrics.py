"""Placeholder until implemented."""

from django.http import Http404


def rubric_list(request, *args, **kwargs):
    raise Http404


def rubric_create(request, *args, **kwargs):
    raise Http404


def rubric_detail(request, *args, **kwargs):
    raise Http404


def rubric_edit(request, *args, **kwargs):
    raise Http404


def rubric_version_detail(request, *args, **kwargs):
    raise Http404
