"""The REST API under /api/v1: articles, search, stories, entities, reports, sources and
background ingest. Reading needs any signed-in user (session or API token); writing needs an
editor, passes the CSRF check for browser sessions and is written to the audit log."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from hoasen.desk import Desk
from hoasen.reports import EXTENSIONS, FORMATS
from hoasen.reports.build import ReportFilters
from hoasen.reports.register import RegisteredReport
from hoasen.store.analysis import StoredFigure, StoredMention, StoryRow
from hoasen.store.listing import ArticleFilters, find_articles
from hoasen.web.api_models import (
    ArticleDetail,
    ArticleSummary,
    EntityCount,
    EntityReport,
    Figure,
    IngestRequest,
    JobAccepted,
    JobResult,
    JobStatus,
    Mention,
    Page,
    ReportCreate,
    ReportEntry,
    ReportPeriod,
    SearchResult,
    SourceCreate,
    SourceOut,
    SourcePatch,
    Story,
    StoryDetail,
    Topic,
)
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import (
    ApiError,
    api_require,
    api_user,
    csrf_protect,
    get_accounts,
    get_desk,
    run_search,
)
from hoasen.web.errors import ErrorBody
from hoasen.web.jobs import Job, JobRunner, get_jobs

PREFIX = "/api/v1"
UPLOAD_TYPES = (".html", ".htm", ".txt", ".json", ".jsonl", ".gz")
MAX_UPLOAD_FILES = 20
MAX_LIMIT = 500
STORY_ENTITIES = 30
STORY_FIGURES = 100

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (400, "The request cannot be done as asked"),
        (401, "Not signed in and no valid API token"),
        (404, "No such thing"),
        (422, "Invalid parameters or body"),
    )
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    403: {"model": ErrorBody, "description": "Needs the editor role, or the CSRF token is wrong"},
}

router = APIRouter(prefix=PREFIX, dependencies=[Depends(api_user)], responses=_ERRORS)


def editor(
    user: Annotated[User, Depends(api_require("editor"))],
    _csrf: Annotated[None, Depends(csrf_protect)],
) -> User:
    """An editor (or admin) whose browser request, if any, carries the CSRF token."""
    return user


DeskDep = Annotated[Desk, Depends(get_desk)]
EditorDep = Annotated[User, Depends(editor)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]
Offset = Annotated[int, Query(ge=0, description="Items to skip")]
Since = Annotated[datetime | None, Query(description="From this moment (ISO date or time)")]
Until = Annotated[datetime | None, Query(description="Up to this moment (ISO date or time)")]


# ---------------------------------------------------------------------------- articles


@router.get("/articles", response_model=Page[ArticleSummary], tags=["articles"])
def get_articles(
    desk: DeskDep,
    language: Annotated[str | None, Query(max_length=8)] = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    since: Since = None,
    until: Until = None,
    include_duplicates: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ArticleSummary]:
    """Stored articles, newest first (duplicates hidden unless asked for)."""
    filters = ArticleFilters(language, source, since, until, include_duplicates)
    rows, total = find_articles(desk.store, filters, limit, offset)
    return Page(items=[ArticleSummary.of(a) for a in rows], total=total, limit=limit, offset=offset)


@router.get("/articles/{article_id}", response_model=ArticleDetail, tags=["articles"])
def get_article(article_id: int, desk: DeskDep) -> ArticleDetail:
    """One article: clean text, entities, key figures, topics, its story and its duplicates."""
    article = desk.store.get_article(article_id)
    ids = [article_id]
    mentions = desk.results.mentions(ids)[article_id]
    story = desk.results.story_of(ids).get(article_id)
    summary = ArticleSummary.of(article).model_dump()
    return ArticleDetail(
        **summary,
        text=article.text,
        canonical_url=article.canonical_url,
        story=story,
        duplicates=desk.store.duplicates_of(article_id),
        entities=_entity_counts(desk, {article_id: mentions}),
        mentions=[_mention(m) for m in mentions],
        figures=[_figure(f) for f in desk.results.figures(ids)[article_id]],
        topics=[Topic(topic=t, score=s) for t, s in desk.results.topics(ids)[article_id]],
    )


# ---------------------------------------------------------------------------- search


@router.get("/search", response_model=Page[SearchResult], tags=["search"])
async def search(
    request: Request,
    desk: DeskDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description='Words or "phrases"')],
    language: Annotated[str | None, Query(max_length=8)] = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=900)] = 0,
) -> Page[SearchResult]:
    """Articles matching every word, best first, in any language (diacritics optional)."""
    find = partial(desk.search_page, q, language, source, since, until, limit, offset)
    hits, more = await run_search(request, find)
    total = None if more else offset + len(hits)
    items = [SearchResult.model_validate(h.as_json()) for h in hits]
    return Page(items=items, total=total, limit=limit, offset=offset)


# ---------------------------------------------------------------------------- stories


@router.get("/stories", response_model=Page[Story], tags=["stories"])
def get_stories(
    desk: DeskDep,
    since: Since = None,
    until: Until = None,
    min_articles: Annotated[int, Query(ge=1)] = 1,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[Story]:
    """Stories active in the period, the most covered first."""
    rows = desk.stories(
        since=since, until=until, limit=offset + limit + 1, min_articles=min_articles
    )
    page = rows[offset : offset + limit]
    total = offset + len(page) if len(rows) <= offset + limit else None
    return Page(items=[_story(s) for s in page], total=total, limit=limit, offset=offset)


@router.get("/stories/{story_id}", response_model=StoryDetail, tags=["stories"])
def get_story(story_id: int, desk: DeskDep) -> StoryDetail:
    """One story: its articles across languages, the entities they name, their key figures."""
    story = desk.results.get_story(story_id)
    ids = list(story.article_ids)
    articles = desk.store.get_articles(ids)
    articles.sort(key=lambda a: (a.published or a.fetched, a.id))
    by_article = desk.results.figures(ids)
    figures = [f for i in ids for f in by_article.get(i, [])]
    return StoryDetail(
        **_story(story).model_dump(),
        article_list=[ArticleSummary.of(a) for a in articles],
        entities=_entity_counts(desk, desk.results.mentions(ids))[:STORY_ENTITIES],
        figures=[_figure(f) for f in figures[:STORY_FIGURES]],
    )


# ---------------------------------------------------------------------------- entities


@router.get("/entities", response_model=Page[EntityCount], tags=["entities"])
def get_entities(
    desk: DeskDep,
    since: Since = None,
    type: Annotated[str | None, Query(max_length=20, description="PER, ORG, LOC...")] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[EntityCount]:
    """The most covered entities (articles naming them, duplicates out)."""
    rows = desk.top_entities(limit=offset + limit + 1, since=since, entity_type=type)
    lang = desk.settings.office_language
    items = [
        EntityCount(
            id=entity_id,
            name=entity.name(lang) if entity else entity_id,
            type=entity.type if entity else None,
            articles=n,
            mentions=k,
        )
        for entity, entity_id, n, k in rows[offset : offset + limit]
    ]
    total = offset + len(items) if len(rows) <= offset + limit else None
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/entities/{name:path}", response_model=EntityReport, tags=["entities"])
def get_entity(
    name: str, desk: DeskDep, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100
) -> EntityReport:
    """An entity by id or any of its names: names per language, spellings seen, articles."""
    return EntityReport.model_validate(desk.entity_report(name, limit=limit).as_json())


# ---------------------------------------------------------------------------- reports


@router.get("/reports", response_model=Page[ReportEntry], tags=["reports"])
def get_reports(
    desk: DeskDep,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ReportEntry]:
    """The numbered register of reports, newest first."""
    entries = desk.reports.register.entries(kind)
    page = entries[offset : offset + limit]
    return Page(items=[_entry(e) for e in page], total=len(entries), limit=limit, offset=offset)


@router.post(
    "/reports",
    response_model=ReportEntry,
    status_code=201,
    tags=["reports"],
    responses=_WRITE_ERRORS,
)
def create_report(
    body: ReportCreate, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> ReportEntry:
    """Make a report (a day's, week's, month's or a thematic one, or any period with from/to)
    and give it the next number."""
    if (body.from_ is None) != (body.to is None):
        raise ApiError(400, "bad_request", "give both `from` and `to`, or neither")
    if body.date is not None and body.from_ is not None:
        raise ApiError(400, "bad_request", "give either `date` or `from`/`to`, not both")
    f = body.filters
    filters = ReportFilters(
        query=f.query,
        topics=tuple(f.topics),
        entities=tuple(f.entities),
        partners=tuple(f.partners),
        countries=tuple(f.countries),
        languages=tuple(f.languages),
        sources=tuple(f.sources),
    )
    made = desk.reports.make(
        body.kind,
        on=body.date,
        first=body.from_,
        last=body.to,
        filters=filters,
        language=body.language,
        title=body.title,
        generated_by=user.name,
    )
    detail = body.model_dump(mode="json", by_alias=True, exclude_none=True)
    accounts.audit(user.id, "report.create", made.entry.number, detail)
    return _entry(made.entry)


@router.get("/reports/file", tags=["reports"], response_class=Response)
def get_report_file_by_query(
    desk: DeskDep,
    number: Annotated[str, Query(min_length=1, max_length=200, description="e.g. 12/BC-TTTT-T")],
    format: Annotated[str, Query(description=f"One of {', '.join(FORMATS)}")] = "pdf",
) -> Response:
    """Download a registered report in one format (the number as a query parameter)."""
    return _report_file(desk, number, format)


@router.get("/reports/{number:path}/{fmt}", tags=["reports"], response_class=Response)
def get_report_file(number: str, fmt: str, desk: DeskDep) -> Response:
    """Download a registered report in one format (the number may contain `/`)."""
    return _report_file(desk, number, fmt)


# ---------------------------------------------------------------------------- sources


@router.get("/sources", response_model=Page[SourceOut], tags=["sources"])
def get_sources(desk: DeskDep, limit: Limit = MAX_LIMIT, offset: Offset = 0) -> Page[SourceOut]:
    """Monitored sources by name, with their health (last fetch, errors)."""
    rows = desk.store.list_sources()
    items = [SourceOut.of(s) for s in rows[offset : offset + limit]]
    return Page(items=items, total=len(rows), limit=limit, offset=offset)


@router.post(
    "/sources",
    response_model=SourceOut,
    status_code=201,
    tags=["sources"],
    responses=_WRITE_ERRORS,
)
def create_source(
    body: SourceCreate, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> SourceOut:
    """Start monitoring a feed or site."""
    source = desk.store.add_source(
        body.url,
        body.name.strip(),
        kind=body.kind,
        country=body.country,
        language=body.language,
        foreign=body.foreign,
        partner=body.partner,
        poll_minutes=body.poll_minutes or desk.settings.default_poll_minutes,
    )
    accounts.audit(user.id, "source.add", source.name, body.model_dump(exclude_none=True))
    return SourceOut.of(source)


@router.get("/sources/{name}", response_model=SourceOut, tags=["sources"])
def get_source(name: str, desk: DeskDep) -> SourceOut:
    """One source."""
    return SourceOut.of(desk.store.get_source(name))


@router.patch(
    "/sources/{name}", response_model=SourceOut, tags=["sources"], responses=_WRITE_ERRORS
)
def patch_source(
    name: str, body: SourcePatch, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> SourceOut:
    """Change some fields of a source (name, URL, country, poll interval...)."""
    changes = body.model_dump(exclude_unset=True)
    for key in ("name", "url", "kind", "foreign", "partner", "poll_minutes"):
        if key in changes and changes[key] is None:
            raise ApiError(400, "bad_request", f"`{key}` cannot be null")
    source = desk.store.update_source(name, changes)
    accounts.audit(user.id, "source.edit", name, changes)
    return SourceOut.of(source)


@router.delete("/sources/{name}", status_code=204, tags=["sources"], responses=_WRITE_ERRORS)
def delete_source(name: str, desk: DeskDep, user: EditorDep, accounts: AccountsDep) -> Response:
    """Stop monitoring a source (its articles are kept)."""
    desk.store.remove_source(name)
    accounts.audit(user.id, "source.remove", name, {})
    return Response(status_code=204)


# ---------------------------------------------------------------------------- ingest

_INGEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/IngestRequest"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": f"Files: {' '.join(UPLOAD_TYPES)}",
                        },
                        "source": {"type": "string"},
                    },
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post(
    "/ingest",
    response_model=JobAccepted,
    status_code=202,
    tags=["ingest"],
    openapi_extra=_INGEST_BODY,
    responses={
        **_WRITE_ERRORS,
        413: {"model": ErrorBody, "description": "Upload too large"},
        415: {"model": ErrorBody, "description": "Unsupported content or file type"},
    },
)
async def submit_ingest(
    request: Request, desk: DeskDep, user: EditorDep, accounts: AccountsDep, jobs: JobsDep
) -> JobAccepted:
    """Queue pages and feeds (JSON `{"urls": [...], "feeds": [...]}`) or uploaded files
    (multipart field `file`) for ingest in the background; poll the job's URL for the outcome."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        job = await _submit_upload(request, desk, jobs, user)
    elif kind in ("application/json", ""):
        job = _submit_fetch(await request.body(), desk, jobs, user)
    else:
        raise ApiError(415, "unsupported_type", "send JSON or a multipart/form-data file upload")
    accounts.audit(user.id, "ingest.submit", f"job {job.id}", job.public_input())
    return JobAccepted(job=job.id, status=job.status, url=f"{PREFIX}/ingest/{job.id}")


@router.get("/ingest", response_model=Page[JobStatus], tags=["ingest"])
def get_ingest_jobs(jobs: JobsDep, limit: Limit = 50, offset: Offset = 0) -> Page[JobStatus]:
    """Recent ingest jobs, newest first."""
    rows, total = jobs.recent(limit, offset)
    return Page(items=[_job(j) for j in rows], total=total, limit=limit, offset=offset)


@router.get("/ingest/{job_id}", response_model=JobStatus, tags=["ingest"])
def get_ingest_job(job_id: int, jobs: JobsDep) -> JobStatus:
    """An ingest job: queued, running, done (with counts and per-item errors) or failed."""
    return _job(jobs.get(job_id))


def _submit_fetch(body: bytes, desk: Desk, jobs: JobRunner, user: User) -> Job:
    try:
        request = IngestRequest.model_validate_json(body or b"{}")
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc
    urls = [u.strip() for u in request.urls if u.strip()]
    feeds = [u.strip() for u in request.feeds if u.strip()]
    if not urls and not feeds:
        raise ApiError(400, "bad_request", "give at least one URL in `urls` or `feeds`")
    bad = [u for u in [*urls, *feeds] if not u.lower().startswith(("http://", "https://"))]
    if bad:
        reasons = [f"{u[:200]}: not an http:// or https:// URL" for u in bad]
        raise ApiError(400, "bad_request", "some URLs cannot be fetched", reasons)
    if request.source is not None:
        desk.store.get_source(request.source)
    return jobs.submit_fetch(urls, feeds, request.source, user.id)


async def _submit_upload(request: Request, desk: Desk, jobs: JobRunner, user: User) -> Job:
    max_bytes = desk.settings.web_upload_max_mb * 1_000_000
    too_large = f"uploads are limited to {desk.settings.web_upload_max_mb} MB"
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise ApiError(411, "length_required", "an upload must say its size (Content-Length)")
    if int(length) > max_bytes + 64 * 1024:  # room for the multipart framing
        raise ApiError(413, "too_large", too_large)
    async with request.form(max_files=MAX_UPLOAD_FILES, max_fields=10) as form:
        uploads = [v for k, v in form.multi_items() if k in ("file", "files")]
        source = form.get("source")
        if not uploads or not all(isinstance(u, UploadFile) for u in uploads):
            raise ApiError(400, "bad_request", "attach one or more files in the field `file`")
        files = [u for u in uploads if isinstance(u, UploadFile)]
        refused = [_upload_refusal(u.filename or "") for u in files]
        reasons = [r for r in refused if r]
        if reasons:
            allowed = " ".join(UPLOAD_TYPES)
            raise ApiError(415, "unsupported_type", f"files must be {allowed}", reasons)
        source_name = (source.strip() or None) if isinstance(source, str) else None
        if source_name is not None:
            desk.store.get_source(source_name)
        folder = jobs.new_upload_folder()
        try:
            names = await _save_uploads(files, folder, max_bytes, too_large)
        except BaseException:
            _remove(folder)
            raise
    return jobs.submit_upload(folder, names, source_name, user.id)


def _upload_refusal(filename: str) -> str | None:
    name = filename.lower()
    if not name.endswith(UPLOAD_TYPES):
        return f"{filename or '(no name)'}: not one of {' '.join(UPLOAD_TYPES)}"
    return None


async def _save_uploads(
    files: Sequence[UploadFile], folder: Path, max_bytes: int, too_large: str
) -> list[str]:
    """Copy uploads into `folder` under safe, distinct names, counting bytes as they come."""
    names: list[str] = []
    total = 0
    for upload in files:
        name = _safe_name(upload.filename or "upload.txt", set(names))
        with (folder / name).open("wb") as out:
            while chunk := await upload.read(1 << 20):
                total += len(chunk)
                if total > max_bytes:
                    raise ApiError(413, "too_large", too_large)
                out.write(chunk)
        names.append(name)
    return names


def _safe_name(filename: str, taken: set[str]) -> str:
    """A plain file name (no folders, no odd characters) keeping the extension, not in `taken`."""
    base = re.sub(r"[^\w.-]+", "_", Path(filename.replace("\\", "/")).name).lstrip(".") or "upload"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{n}-{base}"
    return name[:200]


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------- helpers


def _mention(m: StoredMention) -> Mention:
    return Mention(entity_id=m.entity_id, text=m.text, type=m.type, start=m.start, end=m.end)


def _figure(f: StoredFigure) -> Figure:
    return Figure(
        article_id=f.article_id,
        text=f.text,
        value=f.value,
        unit=f.unit,
        scale=f.scale,
        subject=f.subject,
    )


def _entity_counts(desk: Desk, mentions: Mapping[int, list[StoredMention]]) -> list[EntityCount]:
    """Linked entities of some articles: in how many articles and how often, most covered first."""
    articles: dict[str, set[int]] = defaultdict(set)
    times: Counter[str] = Counter()
    types: dict[str, str] = {}
    for article_id, found in mentions.items():
        for m in found:
            if m.entity_id is None:
                continue
            articles[m.entity_id].add(article_id)
            times[m.entity_id] += 1
            types.setdefault(m.entity_id, m.type)
    gazetteer = desk.pipeline.gazetteer
    lang = desk.settings.office_language
    out = []
    for entity_id, seen in articles.items():
        entity = gazetteer.get(entity_id)
        out.append(
            EntityCount(
                id=entity_id,
                name=entity.name(lang) if entity else entity_id,
                type=entity.type if entity else types[entity_id],
                articles=len(seen),
                mentions=times[entity_id],
            )
        )
    out.sort(key=lambda e: (-e.articles, -e.mentions, e.name))
    return out


def _story(s: StoryRow) -> Story:
    return Story.model_validate(s.as_json())


def _entry(e: RegisteredReport) -> ReportEntry:
    downloads = {
        fmt: f"{PREFIX}/reports/file?{urlencode({'number': e.number, 'format': fmt})}"
        for fmt in FORMATS
    }
    return ReportEntry(
        number=e.number,
        kind=e.kind,
        period=ReportPeriod(**{"from": e.period_from, "to": e.period_to}),
        language=e.language,
        title=e.title,
        articles=e.articles,
        generated_by=e.generated_by,
        created=e.created,
        formats=list(e.formats),
        downloads=downloads,
    )


_MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
}


def _report_file(desk: Desk, number: str, fmt: str) -> Response:
    data = desk.reports.file(number, fmt)
    stem = re.sub(r"[^A-Za-z0-9.-]+", "-", number).strip("-") or "report"
    filename = f"{stem}.{EXTENSIONS.get(fmt, fmt)}"
    disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        content=data,
        media_type=_MEDIA_TYPES.get(fmt, "application/octet-stream"),
        headers={"Content-Disposition": disposition},
    )


def _job(job: Job) -> JobStatus:
    return JobStatus(
        id=job.id,
        kind=job.kind,
        status=job.status,  # type: ignore[arg-type]
        input=job.public_input(),
        result=JobResult.model_validate(job.result) if job.result is not None else None,
        error=job.error,
        submitted_by=job.submitted_by,
        created=job.created,
        started=job.started,
        finished=job.finished,
    )
