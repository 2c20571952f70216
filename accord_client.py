"""A Python client for Accord's REST API (/api/v1/): tables come back as pandas DataFrames, objects as dicts.

    from accord_client import Accord

    accord = Accord("http://127.0.0.1:8000", token)
    accord.agreement("demo")          # one row per criterion: alpha, its interval, what it rests on

It depends on requests and pandas alone, so a notebook can install it without the app. Every list is read to
its end by following the API's `next` links; work the server does in the background (file imports, large
exports, a large campaign's first agreement report) is waited for, up to the client's `timeout`. An error
answer raises `AccordError`, carrying the API's error fields; network errors are requests' own.
"""

from __future__ import annotations

import io
import json
import math
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pandas as pd
import requests

__all__ = ["Accord", "AccordError"]

# The most records the API takes in one JSON body; more go up as a JSONL file, imported by a worker.
JSON_IMPORT_LIMIT = 10_000
# The server refuses request bodies over 10 MiB (DATA_UPLOAD_MAX_MEMORY_SIZE): a JSON body near it goes as a file.
JSON_BODY_BYTES = 9 * 1024 * 1024
# The most machine labels the API takes in one call.
MACHINE_RATINGS_PER_CALL = 5_000
# Rows asked for per page: the API's maximum, so a long list costs the fewest requests.
PAGE_LIMIT = 1000
# Seconds between two looks at a background import or export, growing to the most.
POLL_FIRST = 0.5
POLL_MOST = 5.0
# The export formats the client reads into a DataFrame (preference: training pairs, as JSONL).
EXPORT_FORMATS = ("parquet", "csv", "jsonl", "preference")

# Where a message names its place, as the API writes it: "line 3, field 'id': …", "record 2, field 'x': …".
_PLACE = re.compile(r"^(?:line|row|record) (?P<row>\d+)(?:, field '(?P<field>[^']*)')?:")
_DONE = ("succeeded", "failed")
# The columns of agreement(): one row per criterion.
AGREEMENT_COLUMNS = [
    "key",
    "label",
    "level",
    "alpha",
    "ci_low",
    "ci_high",
    "n_items",
    "n_raters",
    "percent_agreement",
    "status",
]


class AccordError(Exception):
    """An error the API answered (or a background run that failed), with the API's error fields."""

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        *,
        field: str | None = None,
        row: int | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.row = row
        self.details = details if details is not None else [{"message": message, "field": field, "row": row}]
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"{self.status} {self.code}" if self.status is not None else self.code
        place = ", ".join(part for part in (_named("field", self.field), _named("row", self.row)) if part)
        return f"{head}: {self.message}" + (f" ({place})" if place else "")

    @classmethod
    def from_response(cls, response: requests.Response) -> AccordError:
        """The error a response carries in the API's shape `{"error": {...}}`, or its status and text otherwise."""
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            text = (response.text or response.reason or "").strip()
            return cls(response.status_code, "error", text[:500] or f"HTTP {response.status_code}")
        return cls(
            response.status_code,
            str(error.get("code") or "error"),
            str(error.get("message") or ""),
            field=error.get("field"),
            row=error.get("row"),
            details=error.get("details"),
        )

    @classmethod
    def from_run(cls, kind: str, run: Mapping[str, Any]) -> AccordError:
        """A background import or export that failed: its first error in front, every one in `details`."""
        messages = [str(message) for message in run.get("errors") or []] or [str(run.get("error") or "")]
        details = [_problem(message) for message in messages if message] or [_problem(f"The {kind} failed.")]
        first = details[0]
        return cls(None, f"{kind} failed", first["message"], field=first["field"], row=first["row"], details=details)


def _named(name: str, value: object) -> str:
    return f"{name} {value}" if value not in (None, "") else ""


def _problem(message: str) -> dict[str, Any]:
    """One problem of a failed run, with the row and field its message names."""
    place = _PLACE.match(message)
    if place is None:
        return {"message": message, "field": None, "row": None}
    return {"message": message, "field": place["field"] or None, "row": int(place["row"])}


class Accord:
    """One Accord server, as one user: `Accord(url, token)` with an API token from the account's API tokens page."""

    def __init__(self, url: str, token: str, *, timeout: float = 60) -> None:
        self.url = url.rstrip("/") + "/"
        self.api = urljoin(self.url, "api/v1/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:
        return f"Accord({self.url!r})"

    def __enter__(self) -> Accord:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Closes the kept-alive connections (`close` is the method that closes a campaign).
        self.session.close()

    # Plumbing ---------------------------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        """An absolute URL for an API path ("campaigns/"), a site path ("/api/v1/…") or a link the API gave."""
        if path.startswith(("http://", "https://")):
            return path
        return urljoin(self.url, path) if path.startswith("/") else urljoin(self.api, path)

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request; an error status raises AccordError."""
        response = self.session.request(method, self._url(path), timeout=self.timeout, **kwargs)
        if response.status_code >= 400:
            raise AccordError.from_response(response)
        return response

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._request("GET", path, params=_params(params)).json()

    def _post(self, path: str, body: Any = None) -> Any:
        response = self._request("POST", path, data=_json_bytes(body or {}), headers=_JSON)
        return response.json() if response.content else {}

    def _pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every row of a list, page after page, following each page's `next` link."""
        url: str | None = path
        query: dict[str, Any] | None = {"limit": PAGE_LIMIT, **_params(params)}
        while url:
            body = self._request("GET", url, params=query).json()
            # The next link carries the query and the cursor.
            query = None
            if isinstance(body, list):
                yield from body
                return
            yield from body.get("results", [])
            url = body.get("next")

    def _table(
        self, path: str, params: Mapping[str, Any] | None = None, columns: list[str] | None = None
    ) -> pd.DataFrame:
        rows = list(self._pages(path, params))
        return pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns or [])

    def _deadline(self) -> float:
        return time.monotonic() + self.timeout

    def _wait_for_run(self, kind: str, run: dict[str, Any]) -> dict[str, Any]:
        """Poll a background run (an import or an export) until it succeeded; AccordError if it failed."""
        deadline, pause = self._deadline(), POLL_FIRST
        while run.get("status") not in _DONE:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"The {kind} is still {run.get('status')} after {self.timeout} s: "
                    f"follow it at {self._url(run['status_url'])}"
                )
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, POLL_MOST)
            run = self._get(run["status_url"])
        if run["status"] == "failed":
            raise AccordError.from_run(kind, run)
        return run

    # Datasets and items -----------------------------------------------------------------------------------------

    def datasets(self) -> pd.DataFrame:
        """The datasets you can see: id, name, description, item_count, content_fields, metadata_fields."""
        return self._table("datasets/", columns=["id", "name", "description", "item_count"])

    def create_dataset(self, name: str, description: str = "") -> dict[str, Any]:
        """Create an empty dataset (curators) and return it."""
        return self._post("datasets/", {"name": name, "description": description})

    def dataset(self, dataset: int | Mapping[str, Any]) -> dict[str, Any]:
        """One dataset: its name, item count and fields."""
        return self._get(f"datasets/{_id(dataset)}/")

    def import_items(
        self,
        dataset: int | Mapping[str, Any],
        records: pd.DataFrame | Iterable[Mapping[str, Any]],
        *,
        id_field: str = "id",
        content_fields: list[str] | None = None,
        metadata_fields: list[str] | None = None,
    ) -> dict[str, Any]:
        """Add items to a dataset, all or nothing: {"dataset", "imported", "item_count"}.

        `records` is a DataFrame (one row per item) or a list of dicts. Up to 10,000 records go in one JSON
        request; more are sent as a JSONL file that a worker imports, which this waits for. A bad record raises
        AccordError naming its row (1-based) and field, and nothing is imported.
        """
        rows = _records(records)
        path = f"datasets/{_id(dataset)}/items/"
        body = {
            "records": rows,
            "id_field": id_field,
            "content_fields": content_fields,
            "metadata_fields": metadata_fields,
        }
        if len(rows) <= JSON_IMPORT_LIMIT:
            encoded = _json_bytes(body)
            if len(encoded) <= JSON_BODY_BYTES:
                return self._request("POST", path, data=encoded, headers=_JSON).json()
        lines = io.BytesIO(b"".join(_json_bytes(row) + b"\n" for row in rows))
        form = {"format": "jsonl", "id_field": id_field}
        if content_fields is not None:
            form["content_fields"] = ",".join(content_fields)
        if metadata_fields is not None:
            form["metadata_fields"] = ",".join(metadata_fields)
        files = {"file": ("items.jsonl", lines, "application/x-ndjson")}
        run = self._request("POST", path, data=form, files=files).json()
        done = self._wait_for_run("import", run)
        return {"dataset": done.get("dataset"), "imported": done.get("imported"), "item_count": done.get("item_count")}

    def items(self, dataset: int | Mapping[str, Any], q: str | None = None, **metadata: Any) -> pd.DataFrame:
        """A dataset's items, one row each: id, external_id, then the content and metadata fields as columns.

        `q` searches the text (every word must occur); each keyword argument keeps the items whose metadata field
        of that name has that value, e.g. `items(ds, topic="health")`.
        """
        params: dict[str, Any] = {"q": q, **{f"meta.{name}": value for name, value in metadata.items()}}
        rows = [_flat_item(item) for item in self._pages(f"datasets/{_id(dataset)}/items/", params)]
        return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["id", "external_id"])

    def dataset_summary(self, dataset: int | Mapping[str, Any]) -> dict[str, Any]:
        """The per-field summary the dataset's summary page shows (value counts, text lengths)."""
        return self._get(f"datasets/{_id(dataset)}/summary/")

    # Rubrics ----------------------------------------------------------------------------------------------------

    def rubrics(self) -> pd.DataFrame:
        """The rubrics you can see: id, name, description, latest_version, criteria."""
        return self._table("rubrics/", columns=["id", "name", "description", "latest_version", "criteria"])

    def load_rubric(self, text_or_path: str | Path, format: str | None = None) -> dict[str, Any]:
        """Load a rubric from YAML or JSON text, or from a file: a new rubric, or a new version if it changed."""
        text, format = _rubric_text(text_or_path, format)
        body: dict[str, Any] = {"text": text}
        if format:
            body["format"] = format
        return self._post("rubrics/", body)

    # Campaigns --------------------------------------------------------------------------------------------------

    def campaigns(self) -> pd.DataFrame:
        """Your campaigns, newest first: slug, name, status, your role, overlap, n_items, rubric."""
        return self._table("campaigns/", columns=["slug", "name", "status", "role", "rates", "overlap", "n_items"])

    def create_campaign(
        self,
        name: str,
        *,
        dataset: int | Mapping[str, Any],
        rubric: int | Mapping[str, Any],
        overlap: int,
        sample: Mapping[str, Any] | None = None,
        visible_fields: list[str] | None = None,
        gold_rate: float | None = None,
        repeat_rate: float | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """Create a draft campaign you own: a dataset, a rubric (its latest version unless `rubric_version=`),
        a sample ({"kind": "all" | "random" | "stratified", "n", "seed", "field"}) and `overlap` raters per item.

        Other keyword arguments (slug, description, rubric_version, lease_minutes…) are sent as they are.
        """
        body = {"name": name, "dataset": _id(dataset), "rubric": _id(rubric), "overlap": overlap}
        given = {"sample": sample, "visible_fields": visible_fields, "gold_rate": gold_rate, "repeat_rate": repeat_rate}
        body.update({key: value for key, value in given.items() if value is not None})
        body.update(options)
        return self._post("campaigns/", body)

    def campaign(self, slug: str | Mapping[str, Any]) -> dict[str, Any]:
        """One campaign, with every setting you may see."""
        return self._get(f"campaigns/{_slug(slug)}/")

    def activate(self, slug: str | Mapping[str, Any]) -> dict[str, Any]:
        """Open the campaign to its raters (owners)."""
        return self._post(f"campaigns/{_slug(slug)}/activate/")

    def close(self, slug: str | Mapping[str, Any]) -> dict[str, Any]:
        """Close the campaign (owners)."""
        return self._post(f"campaigns/{_slug(slug)}/close/")

    def progress(self, slug: str | Mapping[str, Any]) -> dict[str, Any]:
        """Items complete, ratings so far and each rater's share."""
        return self._get(f"campaigns/{_slug(slug)}/progress/")

    def members(self, slug: str | Mapping[str, Any]) -> pd.DataFrame:
        """The campaign's members: id, username, role, rates (owners)."""
        return self._table(f"campaigns/{_slug(slug)}/members/", columns=["id", "username", "role", "rates"])

    def add_member(
        self, slug: str | Mapping[str, Any], username: str, role: str, rates: bool | None = None
    ) -> dict[str, Any]:
        """Add an existing user with a role (owner, rater, adjudicator, viewer); `rates` lets an owner or
        adjudicator rate too."""
        body: dict[str, Any] = {"username": username, "role": role}
        if rates is not None:
            body["rates"] = rates
        return self._post(f"campaigns/{_slug(slug)}/members/", body)

    # Rating -----------------------------------------------------------------------------------------------------

    def next_assignment(self, slug: str | Mapping[str, Any]) -> dict[str, Any]:
        """Your next item to rate: {"assignment": {...} or None, "reason", "progress"}."""
        return self._post(f"campaigns/{_slug(slug)}/assignments/next/")

    def submit(
        self, slug: str | Mapping[str, Any], assignment_id: int, values: Mapping[str, Any], comment: str = ""
    ) -> dict[str, Any]:
        """Submit your answers ({criterion key: value}) to an assignment; returns the rating."""
        body: dict[str, Any] = {"values": dict(values)}
        if comment:
            body["comment"] = comment
        return self._post(f"campaigns/{_slug(slug)}/assignments/{assignment_id}/submit/", body)

    def my_ratings(self, slug: str | Mapping[str, Any]) -> pd.DataFrame:
        """Your own ratings in the campaign."""
        return self._table(f"campaigns/{_slug(slug)}/my-ratings/", columns=["id", "item_id", "values", "comment"])

    def ratings(self, slug: str | Mapping[str, Any], who: str | None = "pool", **filters: Any) -> pd.DataFrame:
        """Every rating in the campaign (owners, adjudicators, viewers), raters named as the export names them.

        `who` picks the raters: pool (the raters the statistics read, by default), humans, machines or all;
        `rater=` (a pseudonym, a machine rater's name or, for owners, a username) and `item_id=` (the item's id
        in the dataset) filter further.
        """
        params = {"who": who, **filters}
        return self._table(f"campaigns/{_slug(slug)}/ratings/", params, columns=["id", "item_id", "values"])

    def post_judge_ratings(
        self,
        slug: str | Mapping[str, Any],
        machine: str,
        ratings: pd.DataFrame | Iterable[Mapping[str, Any]],
        *,
        model: str = "",
        prompt: str = "",
        version: str = "",
        replace: bool = False,
    ) -> dict[str, Any]:
        """Record an automatic judge's labels as the machine rater `machine` (owners).

        `ratings` has an `item_id` column (the item's id in the dataset) and either one column per criterion key
        or a `values` column of dicts, plus an optional `comment` column; a missing value (NaN) leaves that
        criterion unanswered, and a whole number in a column pandas holds as floats (because of a missing value)
        is sent as an integer. Labels go in calls of at most 5,000: each call is all or nothing, the whole is not:
        an AccordError from a later call leaves the earlier calls' labels stored (its `row` counts from the first
        label of `ratings`, and its message says how many were stored). Returns the totals:
        {"machine", "machine_created", "created", "replaced", "calls"}.
        """
        labels = _machine_labels(ratings)
        provenance = {"name": machine, "model": model, "prompt": prompt, "version": version}
        body_machine = {key: value for key, value in provenance.items() if value}
        total = {"machine": machine, "machine_created": False, "created": 0, "replaced": 0, "calls": 0}
        for start in range(0, len(labels), MACHINE_RATINGS_PER_CALL):
            chunk = labels[start : start + MACHINE_RATINGS_PER_CALL]
            body = {"machine": body_machine, "ratings": chunk, "replace": replace}
            try:
                answer = self._post(f"campaigns/{_slug(slug)}/machine-ratings/", body)
            except AccordError as error:
                raise _shifted(error, start) from None
            total["machine_created"] = total["machine_created"] or bool(answer.get("machine_created"))
            total["created"] += answer.get("created", 0)
            total["replaced"] += answer.get("replaced", 0)
            total["calls"] += 1
        return total

    def machine_raters(self, slug: str | Mapping[str, Any]) -> pd.DataFrame:
        """The campaign's machine raters: name, model, prompt, version, n_labels, n_items."""
        return self._table(
            f"campaigns/{_slug(slug)}/machine-raters/", columns=["name", "model", "prompt", "version", "n_labels"]
        )

    # Agreement, leaderboard, export -----------------------------------------------------------------------------

    def agreement_report(self, slug: str | Mapping[str, Any], criterion: str | None = None) -> dict[str, Any]:
        """The agreement report as the API gives it, waiting while a worker computes a large campaign's first one."""
        path, params = f"campaigns/{_slug(slug)}/agreement/", _params({"criterion": criterion})
        deadline = self._deadline()
        while True:
            response = self._request("GET", path, params=params)
            if response.status_code != 202:
                return response.json()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"The agreement report of {_slug(slug)!r} is still computing after {self.timeout} s")
            time.sleep(min(_retry_after(response), remaining))

    def agreement(self, slug: str | Mapping[str, Any], criterion: str | None = None) -> pd.DataFrame:
        """Agreement per criterion, one row each: key, label, level, alpha, ci_low, ci_high, n_items, n_raters,
        percent_agreement, status. The whole report is in the DataFrame's `attrs["report"]`."""
        report = self.agreement_report(slug, criterion)
        rows = []
        for entry in report.get("criteria", []):
            alpha = entry.get("alpha") or {}
            rows.append(
                {
                    "key": entry.get("key"),
                    "label": entry.get("label"),
                    "level": entry.get("level"),
                    "alpha": alpha.get("value"),
                    "ci_low": alpha.get("ci_low"),
                    "ci_high": alpha.get("ci_high"),
                    "n_items": entry.get("n_items"),
                    "n_raters": entry.get("n_raters"),
                    "percent_agreement": entry.get("percent_agreement"),
                    "status": entry.get("status"),
                }
            )
        frame = pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
        frame.attrs["report"] = report
        return frame

    def leaderboard(
        self, slug: str | Mapping[str, Any], criterion: str | None = None, labels: str | None = None
    ) -> pd.DataFrame:
        """Systems ranked on one criterion, one row each (Bradley–Terry scores for pairwise criteria, means
        otherwise), best first. The whole report is in `attrs["leaderboard"]`; an empty frame has its `message`."""
        board = self._get(f"campaigns/{_slug(slug)}/leaderboard/", {"criterion": criterion, "labels": labels})
        part = board.get("ranking") or board.get("pointwise") or {}
        frame = pd.DataFrame(part.get("systems", []))
        if frame.empty:
            frame = pd.DataFrame(columns=["system", "rank"])
        frame.attrs["leaderboard"] = board
        return frame

    def export(
        self, slug: str | Mapping[str, Any], per: str = "item", format: str = "parquet", **params: Any
    ) -> pd.DataFrame:
        """The campaign's labels, one row per item or per rating, read into a DataFrame.

        `format` is how they travel (parquet, csv, jsonl, or preference for training pairs); other keyword
        arguments are the export's options (criterion=, names=True…). A large export is written by a worker,
        which this waits for.
        """
        if format not in EXPORT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {format!r}")
        query = _params({"per": per, "format": format, **params})
        response = self._request("GET", f"campaigns/{_slug(slug)}/export/", params=query)
        if response.status_code == 202:
            run = self._wait_for_run("export", response.json())
            response = self._request("GET", run["download_url"])
        return _read_table(response.content, format)

    # Adjudication and the data card -----------------------------------------------------------------------------

    def adjudication_queue(self, slug: str | Mapping[str, Any]) -> pd.DataFrame:
        """The items waiting for adjudication and why each is there."""
        return self._table(f"campaigns/{_slug(slug)}/adjudication/", columns=["item", "external_id", "reasons"])

    def data_card(self, slug: str | Mapping[str, Any]) -> str:
        """The campaign's data card, as Markdown."""
        return self._get(f"campaigns/{_slug(slug)}/data-card/")["markdown"]


# Helpers ----------------------------------------------------------------------------------------------------------

_JSON = {"Content-Type": "application/json"}


def _jsonable(value: Any) -> Any:
    """NumPy scalars, timestamps and other values pandas hands out, as JSON can carry them."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json_bytes(value: Any) -> bytes:
    # allow_nan=False: NaN is not JSON; the callers turn missing values into null or leave them out first.
    return json.dumps(value, default=_jsonable, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _missing(value: Any) -> bool:
    """A missing cell: None, NaN or pandas' NA and NaT (but not a list or dict)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value)) if pd.api.types.is_scalar(value) else False
    except (TypeError, ValueError):
        return False


def _records(records: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Records as JSON-ready dicts; missing cells (None, NaN, NaT) become null."""
    rows = records.to_dict(orient="records") if isinstance(records, pd.DataFrame) else records
    return [{str(key): (None if _missing(value) else value) for key, value in row.items()} for row in rows]


def _machine_labels(ratings: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Machine labels as the API takes them: {"item_id", "values", "comment"?}, unanswered criteria left out."""
    frame = ratings if isinstance(ratings, pd.DataFrame) else pd.DataFrame(list(ratings))
    if frame.empty:
        return []
    if "item_id" not in frame.columns:
        raise ValueError("ratings need an item_id column: each item's id in the dataset")
    criteria = [column for column in frame.columns if column not in ("item_id", "values", "comment")]
    labels = []
    for row in frame.to_dict(orient="records"):
        values = dict(row["values"]) if isinstance(row.get("values"), Mapping) else {}
        values.update({str(key): _whole(row[key]) for key in criteria if not _missing(row[key])})
        label: dict[str, Any] = {"item_id": str(row["item_id"]), "values": values}
        comment = row.get("comment")
        if not _missing(comment) and comment != "":
            label["comment"] = str(comment)
        labels.append(label)
    return labels


def _whole(value: Any) -> Any:
    """A float that is a whole number as an int: pandas stores an integer column with a missing value as floats."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _shifted(error: AccordError, start: int) -> AccordError:
    """A machine-ratings call's error, its rows and `ratings.N` fields counted from the first label sent."""
    if start == 0:
        return error

    def field(name: str | None) -> str | None:
        return re.sub(r"^ratings\.(\d+)", lambda m: f"ratings.{int(m[1]) + start}", name) if name else name

    def row(number: int | None) -> int | None:
        return number + start if isinstance(number, int) else number

    details = [{**d, "field": field(d.get("field")), "row": row(d.get("row"))} for d in error.details]
    message = f"{error.message} (labels 1 to {start} were stored by earlier calls)"
    return AccordError(error.status, error.code, message, field=field(error.field), row=row(error.row), details=details)


def _flat_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item as one row: id, external_id, then its content and metadata fields (prefixed only on a clash)."""
    row = {"id": item.get("id"), "external_id": item.get("external_id")}
    for part in ("content", "metadata"):
        for name, value in (item.get(part) or {}).items():
            row[f"{part}.{name}" if name in row else name] = value
    return row


def _params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Query parameters without the ones left unset; booleans as the API reads them."""
    out = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out


def _id(obj: int | str | Mapping[str, Any]) -> Any:
    """An object's id, given the id or the dict the client returned for it."""
    return obj["id"] if isinstance(obj, Mapping) else obj


def _slug(obj: str | Mapping[str, Any]) -> str:
    """A campaign's slug, given the slug or the dict the client returned for it."""
    return obj["slug"] if isinstance(obj, Mapping) else obj


def _rubric_text(text_or_path: str | Path, format: str | None) -> tuple[str, str | None]:
    """The rubric's text and format: a Path, or a one-line string naming a file, is read (format from its suffix)."""
    path: Path | None = None
    if isinstance(text_or_path, Path):
        path = text_or_path
    elif "\n" not in text_or_path and len(text_or_path) < 4096:
        candidate = Path(text_or_path).expanduser()
        if candidate.suffix.lower() in (".yaml", ".yml", ".json") and candidate.is_file():
            path = candidate
    if path is None:
        return str(text_or_path), format
    guessed = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}.get(path.suffix.lower())
    return path.read_text(encoding="utf-8"), format or guessed


def _retry_after(response: requests.Response) -> float:
    try:
        return max(0.5, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return POLL_MOST


def _read_table(content: bytes, format: str) -> pd.DataFrame:
    """An export's bytes as a DataFrame."""
    if format == "parquet":
        return pd.read_parquet(io.BytesIO(content))
    if format == "csv":
        return pd.read_csv(io.BytesIO(content))
    return pd.read_json(io.BytesIO(content), lines=True) if content.strip() else pd.DataFrame()
