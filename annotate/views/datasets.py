"""HTML pages for datasets: the list, upload with field mapping, the item browser, summaries and items."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accord.pages import render_page_or_fragment
from annotate.forms.datasets import BrowseParams, DatasetUploadForm, FieldMappingForm
from annotate.models import Dataset, ImportRun
from annotate.permissions import can_curate, get_dataset_for, get_import_run_for
from annotate.search import search_coverage
from annotate.selectors.datasets import (
    dataset_summary as summarise,
)
from annotate.selectors.datasets import (
    datasets_for_list,
    filter_choices,
    item_content,
    item_fields,
    item_for,
    items_page,
)
from annotate.services.datasets import detect_fields
from annotate.services.import_runs import import_run_rows, import_runs_unfinished
from annotate.services.pending_uploads import (
    UPLOAD_MAX_AGE_SECONDS,
    PendingUpload,
    UploadGone,
    UploadUnknown,
    pending_upload_create,
    pending_upload_discard,
    pending_upload_get,
    pending_upload_started,
)
from annotate.tasks import item_import_start, search_index_request


@login_required
@require_GET
def dataset_list(request: HttpRequest) -> HttpResponse:
    """Datasets the caller may see, with their item counts."""
    context = {"datasets": datasets_for_list(request.user), "can_curate": can_curate(request.user)}
    return render(request, "annotate/dataset_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def dataset_upload(request: HttpRequest) -> HttpResponse:
    """Step 1 of an upload: store the file, then ask how to map its fields."""
    if not can_curate(request.user):
        raise PermissionDenied("You may not import datasets.")
    form = DatasetUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        token = pending_upload_create(
            chunks=data["file"].chunks(), filename=data["file"].name, fmt=data["fmt"], name=data["name"],
            dataset_id=data["dataset"].pk if data["dataset"] else None, user=request.user,
        )  # fmt: skip
        return redirect("annotate:dataset-upload-map", token=token)
    return render(request, "annotate/dataset_upload.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def dataset_upload_map(request: HttpRequest, token: str) -> HttpResponse:
    """Step 2 of an upload: pick each field's role and order, then start the import as a task.

    The uploader reaches the page from any session; once the import has started it leads to the import's progress.
    """
    if not can_curate(request.user):
        raise PermissionDenied("You may not import datasets.")
    try:
        upload = pending_upload_get(token=token, user=request.user)
    except UploadUnknown:
        raise Http404("No such upload.") from None
    except UploadGone as gone:
        context = {"expired": gone.expired, "max_hours": UPLOAD_MAX_AGE_SECONDS // 3600}
        return render(request, "annotate/dataset_upload_gone.html", context, status=410)
    if upload.import_run_id is not None:
        return redirect("annotate:dataset-import", pk=upload.import_run_id)
    target = get_dataset_for(request, upload.dataset_id) if upload.dataset_id else None
    if request.method == "POST" and "discard" in request.POST:
        pending_upload_discard(upload=upload)
        return redirect("annotate:dataset-upload")
    return _map_fields(request, upload, target)


def _map_fields(request: HttpRequest, upload: PendingUpload, target: Dataset | None) -> HttpResponse:
    try:
        preview = detect_fields(upload.path, upload.fmt)
    except ValidationError as exc:
        pending_upload_discard(upload=upload)
        return render(request, "annotate/dataset_upload_map.html", {"upload": upload, "error": exc}, status=400)
    form = FieldMappingForm(request.POST or None, preview=preview, dataset=target)
    if request.method == "POST" and form.is_valid():
        id_field, content, metadata = form.mapping()
        options = {
            "fmt": upload.fmt, "name": upload.name or None, "id_field": id_field,
            "content_fields": content, "metadata_fields": metadata,
        }  # fmt: skip
        run = item_import_start(
            user=request.user, path=upload.path, filename=upload.filename, dataset=target, options=options
        )
        pending_upload_started(upload=upload, import_run_id=str(run.pk))
        return redirect("annotate:dataset-import", pk=run.pk)
    context = {"upload": upload, "target": target, "form": form, "preview": preview}
    return render(request, "annotate/dataset_upload_map.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def dataset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The item browser: filters, text search, keyset pagination and match counts; htmx gets just the results.

    Text search covers the items indexed so far, and the page says so while the search index is incomplete.
    """
    dataset = get_dataset_for(request, pk)
    params = BrowseParams.from_query(request.GET, dataset)
    # Counting the matches of a search can take longer than the page, so it is done on request.
    page = items_page(
        dataset=dataset, filters=params.filters, query=params.query, after=params.after, before=params.before,
        count=request.GET.get("count") == "1",
    )  # fmt: skip
    filter_rows = [*params.filters, ("", "")]
    context = {
        "dataset": dataset,
        "params": params,
        "page": page,
        "filter_rows": filter_rows,
        "suggestions": filter_choices(dataset),
        "search": search_coverage(dataset),
        "imports": import_runs_unfinished(dataset=dataset),
    }
    # Whatever left the index incomplete (an upgrade, a build that failed), the next view queues a build.
    search_index_request(dataset)
    return render_page_or_fragment(
        request, "annotate/dataset_detail.html", "annotate/partials/_dataset_items.html", context
    )


@login_required
@require_GET
def dataset_import_progress(request: HttpRequest, pk: UUID) -> HttpResponse:
    """An item import's progress, then its outcome; htmx polls the fragment until the import has finished."""
    run = get_import_run_for(request, pk, kind=ImportRun.Kind.ITEMS)
    context = {"run": run, "rows": import_run_rows(run)}
    return render_page_or_fragment(
        request, "annotate/dataset_import.html", "annotate/partials/_dataset_import.html", context
    )


@login_required
@require_GET
def dataset_summary(request: HttpRequest, pk: int) -> HttpResponse:
    """Value counts per metadata field and text-length distributions per content field."""
    dataset = get_dataset_for(request, pk)
    return render(request, "annotate/dataset_summary.html", {"dataset": dataset, "summary": summarise(dataset)})


@login_required
@require_GET
def item_detail(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """One item: every content field in display order (rendered as raters see it) and its metadata."""
    dataset = get_dataset_for(request, pk)
    item = item_for(dataset, item_pk)
    context = {
        "dataset": dataset,
        "item": item,
        "content": item_content(item, dataset),
        "metadata": item_fields(item.metadata or {}, dataset.metadata_fields),
    }
    return render(request, "annotate/item_detail.html", context)
