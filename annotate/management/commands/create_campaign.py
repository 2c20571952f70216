"""Create a campaign from the command line: sample a dataset, pick a rubric version, add members."""

from argparse import ArgumentParser

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annotate.models import Campaign, Membership
from annotate.selectors.names import dataset_named, rubric_named
from annotate.services.campaigns import (
    campaign_create,
    campaign_set_status,
    member_invite,
    membership_set,
    overlap_shortfall,
    user_get_or_create,
)


class Command(BaseCommand):
    help = "Create a campaign: dataset + rubric version + sample + overlap + members."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--slug", default="", help="Address of the campaign, /c/SLUG/ (default: made from --name).")
        parser.add_argument("--name", help="Display name (default: the slug).")
        parser.add_argument("--description", default="")
        parser.add_argument("--dataset", required=True, help="Dataset name.")
        parser.add_argument("--rubric", required=True, help="Rubric name.")
        parser.add_argument("--rubric-version", type=int, help="Version number (default: the latest).")
        parser.add_argument("--sample", choices=["all", "random", "stratified"], default="all")
        parser.add_argument("--n", type=int, help="Items for --sample random; items per stratum for stratified.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--field", help="Metadata field to stratify by.")
        parser.add_argument("--overlap", type=int, default=3, help="Raters per item (k).")
        parser.add_argument("--lease-minutes", type=int, default=30)
        parser.add_argument("--visible-fields", default="", help="Comma-separated fields raters see.")
        parser.add_argument(
            "--gold-rate", type=float, default=0.0, help="Share of each rater's items that are gold checks (0-0.5)."
        )
        parser.add_argument(
            "--repeat-rate",
            type=float,
            default=0.0,
            help="Share of each rater's items that come back to them for test-retest (0-0.3).",
        )
        parser.add_argument("--rater", action="append", default=[], help="Rater username (repeatable).")
        parser.add_argument("--owner", help="Owner username (created if unknown).")
        parser.add_argument("--owner-rates", action="store_true", help="The owner rates items too.")
        parser.add_argument("--activate", action="store_true", help="Start the campaign right away.")

    def handle(self, *args: object, **options: object) -> None:
        """Resolve names, create the campaign and members in one transaction, print new passwords."""
        try:
            with transaction.atomic():
                campaign, passwords = self._create(options)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Created campaign {campaign.slug!r} with {campaign.n_items} items ({campaign.status}).")
        )
        if campaign.sample_note:
            self.stdout.write(campaign.sample_note)
        for username, password in passwords:
            self.stdout.write(f"Created user {username} with password {password}")
        if not options["owner"]:
            self.stdout.write("No --owner given: only staff can manage this campaign.")
        warning = overlap_shortfall(campaign)
        if warning and campaign.status == Campaign.Status.ACTIVE:
            self.stdout.write(self.style.WARNING(warning))

    def _create(self, options: dict) -> tuple[Campaign, list[tuple[str, str]]]:
        if not options["slug"] and not options["name"]:
            raise CommandError("--slug or --name: give at least one (the slug is made from the name)")
        if options["owner_rates"] and not options["owner"]:
            raise CommandError("--owner-rates: give the --owner who rates")
        named_owner = options["owner"] and get_user_model().objects.filter(username=options["owner"]).first()
        # Several datasets or rubrics of one name (of different owners) raise a ValidationError naming them.
        dataset = dataset_named(options["dataset"], named_owner or None)
        if dataset is None:
            raise CommandError(f"--dataset: no dataset named {options['dataset']!r}")
        rubric = rubric_named(options["rubric"], named_owner or None)
        if rubric is None:
            raise CommandError(f"--rubric: no rubric named {options['rubric']!r}")
        versions = rubric.versions.order_by("-number")
        if options["rubric_version"] is not None:
            versions = versions.filter(number=options["rubric_version"])
        version = versions.first()
        if version is None:
            raise CommandError(f"--rubric-version: rubric {rubric.name!r} has no version {options['rubric_version']}")
        spec: dict = {"method": options["sample"], "seed": options["seed"], "n": options["n"]}
        if options["field"]:
            spec["field"] = options["field"]
        passwords: list[tuple[str, str]] = []
        owner = None
        if options["owner"]:
            owner, password = user_get_or_create(username=options["owner"])
            if password:
                passwords.append((owner.get_username(), password))
        visible = [f.strip() for f in options["visible_fields"].split(",") if f.strip()]
        campaign = campaign_create(
            slug=options["slug"],
            name=options["name"] or options["slug"],
            description=options["description"],
            dataset=dataset,
            rubric_version=version,
            sample_spec=spec,
            overlap=options["overlap"],
            lease_minutes=options["lease_minutes"],
            visible_fields=visible,
            user=owner,
            gold_rate=options["gold_rate"],
            repeat_rate=options["repeat_rate"],
        )
        if options["owner_rates"]:
            membership_set(campaign=campaign, user=owner, role=Membership.Role.OWNER, rates=True)
        for username in dict.fromkeys(options["rater"]):
            _, password = member_invite(campaign=campaign, username=username, role=Membership.Role.RATER)
            if password:
                passwords.append((username, password))
        if options["activate"]:
            campaign.status = campaign_set_status(campaign=campaign, status=Campaign.Status.ACTIVE).status
        return campaign, passwords
