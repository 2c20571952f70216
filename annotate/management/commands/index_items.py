"""Build the search index of every dataset (or one) whose items are not all searchable yet."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import F

from annotate.models import Dataset
from annotate.search import search_coverage, search_index_build


class Command(BaseCommand):
    help = "Add the items that imports left unindexed to the search index, here and now (no worker needed)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dataset", help="Only this dataset (by name).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dataset"]:
            datasets = list(Dataset.objects.filter(name=options["dataset"]).defer("summary"))
            if not datasets:
                raise CommandError(f"No dataset named '{options['dataset']}'.")
            # Owners name their datasets independently: every dataset of that name is indexed.
        else:
            pending = Dataset.objects.filter(search_indexed_count__lt=F("item_count")).defer("summary")
            datasets = list(pending.order_by("name"))
        if not datasets:
            self.stdout.write("Every dataset's search index is complete.")
        for dataset in datasets:
            run = search_index_build(dataset=dataset)
            dataset.refresh_from_db(fields=["item_count", "search_indexed_count"])
            coverage = search_coverage(dataset)
            self.stdout.write(
                f"{dataset.name}: added {run.n_items} items to the search index in {run.seconds:.1f} s; "
                f"{coverage.searchable} of {coverage.total} items searchable"
            )
