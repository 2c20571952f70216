"""Placeholder until implemented."""

from django.http import Http404


def campaign_create(request, *args, **kwargs):
    raise Http404


def campaign_detail(request, *args, **kwargs):
    raise Http404


def campaign_status(request, *args, **kwargs):
    raise Http404


def campaign_member_add(request, *args, **kwargs):
    raise Http404


def campaign_member_update(request, *args, **kwargs):
    raise Http404
