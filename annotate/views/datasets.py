"""Placeholder until implemented."""

from django.http import Http404


def dataset_list(request, *args, **kwargs):
    raise Http404


def dataset_upload(request, *args, **kwargs):
    raise Http404


def dataset_upload_map(request, *args, **kwargs):
    raise Http404


def dataset_detail(request, *args, **kwargs):
    raise Http404


def dataset_summary(request, *args, **kwargs):
    raise Http404


def item_detail(request, *args, **kwargs):
    raise Http404
