"""Import items from a JSONL, CSV or Parquet file into a dataset (created when missing), then build its search index."""

import time
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotate.search import search_index_build
from annotate.selectors.names import dataset_named
from annotate.services.datasets import IMPORT_BATCH_SIZE, dataset_import


def _names(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    return [name.strip() for name in raw.split(",") if name.strip()]


class Command(BaseCommand):
    help = "Import items from a JSONL, CSV or Parquet file into a dataset, all or nothing."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="Path to a .jsonl/.ndjson, .csv or .parquet file.")
        parser.add_argument("--dataset", required=True, help="Dataset name; created when it doesn't exist.")
        parser.add_argument("--id-field", default="id", help="Field holding each item's stable id (default: id).")
        parser.add_argument("--content-fields", help="Comma-separated content fields (default: all but id/metadata).")
        parser.add_argument("--metadata-fields", help="Comma-separated metadata fields.")
        parser.add_argument("--format", choices=["jsonl", "csv", "parquet"], help="Override the file extension.")
        defaults = ", ".join(f"{size} on {vendor}" for vendor, size in IMPORT_BATCH_SIZE.items())
        parser.add_argument("--batch-size", type=int, help=f"Rows per insert (default: {defaults}).")
        parser.add_argument(
            "--no-index",
            action="store_true",
            help="Leave the search index to the next `index_items` run or dataset page view.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.perf_counter()
        try:
            dataset = dataset_named(options["dataset"])
            result = dataset_import(
                source=options["file"],
                fmt=options["format"],
                dataset=dataset,
                name=None if dataset else options["dataset"],
                id_field=options["id_field"],
                content_fields=_names(options["content_fields"]),
                metadata_fields=_names(options["metadata_fields"]),
                batch_size=max(1, options["batch_size"]) if options["batch_size"] is not None else None,
            )
        except ValidationError as exc:
            # CommandError prints just the message on stderr and exits with status 1, without a traceback.
            raise CommandError(" ".join(exc.messages)) from None
        seconds = time.perf_counter() - start
        self.stdout.write(
            f"Imported {result.n_items} items into dataset {result.dataset.name} "
            f"(now {result.dataset.item_count} items) in {seconds:.1f} s ({result.n_items / seconds:,.0f} items/s)"
        )
        if options["no_index"]:
            self.stdout.write("Search index not built: run `index_items` to make the new items searchable.")
            return
        run = search_index_build(dataset=result.dataset)
        self.stdout.write(
            f"Search index: added {run.n_items} items in {run.seconds:.1f} s "
            f"({run.n_items / max(run.seconds, 1e-9):,.0f} items/s)"
        )
