"""Nothing of point B at point A, whatever is asked: every URL pattern of a
point's host (yimen.urls_tenant with Wagtail's admin, its API and our own
pages) and every endpoint of the search API (search/openapi.json), requested
with GET at A's host by A's staff and by an anonymous visitor, with path
parameters filled with B's ids, slugs, codes, tokens and file names.

B is a sibling (the village under the other township of A's county) and the
village and county point of another county. Unique marker strings are planted
wherever B owns data: guide details, a draft, documents, an image, a private
collection, uploads, a redirect, search and click log rows, a user, a
standard update, cases (one handed up, one held; an enterprise applicant,
whose name lists show unmasked), and in the other county its own standard item (versions,
draft, propagation), department and synonyms. A finding is a response that
contains one of them, a redirect to B's host, or a server error; one
assertion lists every finding of the run.

What a county network shows on purpose stays allowed for the sibling: its
name, address and phone in "就近办" and in network search, and the result
link of a network search (/search/go/…?at=<sibling>) that leads to it. The
other county shows nothing at all: its network tag (in every slug, host,
schema, group and user name it has) is a marker too.
"""
from __future__ import annotations

import io
import itertools
import json
import logging
import re
import secrets
import string
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.signals import got_request_exception
from django.db import connection
from django.test import Client
from django.urls import get_resolver
from django.urls.converters import IntConverter
from django.urls.resolvers import RegexPattern, URLResolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tenants.utils import tenant_context
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents.models import Document
from wagtail.images import get_image_model
from wagtail.models import Collection, CollectionViewRestriction, Site

from cases import services as case_services
from cms.adoption import adopt
from cms.models import ItemGuidePage, StandardUpdate
from search.indexing import apply_changes
from search.models import SearchClick, SearchLog, SynonymGroup
from standards import authority, propagation, services
from standards.demo import catalogue_records
from standards.models import Adoption, BatchStatus, ImportBatch, PropagationTarget, StandardItem
from standards.services import publish_content
from tenants import access
from tenants.models import PointGroup
from tenants.roles import grant_role
from tests.conftest import Network

ROOT = Path(__file__).resolve().parent.parent
HINT = "隔离巡检"  # a word only B's private content holds: queries for it at A must find nothing of B
# App label and model name parameters (the same at every point): Wagtail's page model and a shared model.
APP_MODELS = [("wagtailcore", "page"), ("standards", "adoption")]
ACTIONS = ["delete", "publish", "approve"]
# Skipped, and why: Wagtail's failwhale view raises on purpose (it tests the
# 500 page); logout would end the walker's own session for the URLs after it.
SKIP_NAMES = {"wagtailadmin_error_test", "wagtailadmin_logout"}
MAX_COMBOS = 4  # a pattern with several parameters: this many combinations of B's values
# Our lists and searches (by pattern name) are asked again for a word of B's content
# (Wagtail's own lists search the point's schema only).
SEARCHES = re.compile(r"index|search|choose|chooser|results|listing|list|autocomplete|catalogue|updates|stats")


def _mark() -> str:
    """Letters only: nothing escapes, masks or re-cases them (JSON, HTML, search log masking)."""
    return "zq" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))


# --- what point B holds -----------------------------------------------------

@dataclass
class PointB:
    label: str
    point: object
    markers: list[str]
    ints: dict[str, list[int]] = field(default_factory=dict)
    strs: dict[str, list[str]] = field(default_factory=dict)
    hosts: set[str] = field(default_factory=set)
    # A point of A's own county: the result link of a network search may lead there.
    same_county: bool = False

    def add(self, kind: str, *values) -> None:
        bucket = self.ints if all(isinstance(v, int) for v in values) else self.strs
        bucket.setdefault(kind, [])
        bucket[kind] += [v for v in values if v is not None and v not in bucket[kind]]

    def sample(self) -> list[int]:
        """For an id of a kind B has none of: its point's, its user's and a propagation's."""
        kinds = ("point", "user", "propagation")
        return sorted({self.ints[kind][0] for kind in kinds if self.ints.get(kind)})


def _png(mark: str) -> bytes:
    info = PngInfo()
    info.add_text("Comment", mark)  # a leaked file shows the marker in its bytes
    out = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _new_code() -> str:
    while True:
        code = f"YM-ISO-{secrets.choice(['XK', 'QR', 'GG'])}-{secrets.randbelow(1000):03d}"
        if not StandardItem.objects.filter(code=code).exists():
            return code


def _publish_item(owner: str, **overrides):
    base = catalogue_records()[0]
    record = {**base, "code": _new_code(), "aliases": [], "accept_tiers": ["county", "township", "village", "park"],
              **overrides}
    version, _ = publish_content(record, owner=owner)
    return version


def _new_version(version, author, reviewer, **changes):
    draft = services.start_draft(version.item, author, note="隔离巡检修订")
    services.update_draft(draft, {**draft.content, **changes}, author)
    services.submit_for_review(draft, author)
    return services.publish(draft, reviewer)


def _entering(user, source):
    """A user above B and the point they enter B from (for B's entry token)."""
    user.entry_source = source
    return user


def _plant_village(network: Network, b: PointB, item, common_code: str, author, reviewer, entry_user,
                   item_changes: dict) -> None:
    """Everything a village point owns, marked; `item` is a standard item adopted here only."""
    point, mark = b.point, b.markers[0]
    with tenant_context(point):
        adopt(point, [item])
        guide = ItemGuidePage.objects.get(code=item.code)
        guide.title = f"{HINT}{mark}title"  # renamed here: the next version's name conflicts
        guide.window, guide.notes, guide.fee_note = f"{mark}window", f"{mark}notes", f"{mark}fee"
        guide.save_revision().publish()
        common = ItemGuidePage.objects.get(code=common_code)
        common.window, common.notes = f"{mark}window2", f"{HINT}{mark}notes2"
        common.save_revision().publish()
    # A new version of B's item waits for B's editors as a standard update (title in conflict).
    run = _new_version(item, author, reviewer, **item_changes)
    propagation.apply_batch(run.pk, [point.pk])  # here and now; a worker finds nothing left to do
    with tenant_context(point):
        common = ItemGuidePage.objects.get(code=common_code)
        common.notes = f"{HINT}{mark}draft"
        draft = common.save_revision()  # unpublished
        guide = ItemGuidePage.objects.get(code=item.code)
        update = StandardUpdate.objects.get(page=guide)
        private = Collection.get_first_root_node().add_child(name=f"{HINT}{mark}collection")
        CollectionViewRestriction.objects.create(collection=private, restriction_type=CollectionViewRestriction.LOGIN)
        name = f"iso-{secrets.token_hex(4)}"
        pdf = f"%PDF-1.4\n%{mark}\n%%EOF\n".encode()
        public_doc = Document.objects.create(title=f"{HINT}{mark}doc", file=ContentFile(pdf, name=f"{name}.pdf"))
        private_doc = Document.objects.create(title=f"{HINT}{mark}private", collection=private,
                                              file=ContentFile(pdf, name=f"{name}-p.pdf"))
        image = get_image_model().objects.create(title=f"{HINT}{mark}image", width=2, height=2,
                                                 file=ContentFile(_png(mark), name=f"{name}.png"))
        upload = default_storage.save(f"uploads/{name}.txt", ContentFile(mark.encode()))
        redirect = Redirect.objects.create(old_path=f"/iso-{name}", redirect_link=f"https://example.org/{mark}")
        site = Site.objects.get()
        b.add("page", site.root_page_id, guide.pk)  # a page A has too (the same id), and one it has not
        b.add("revision", draft.pk, update.revision_id)  # drafts of B's, waiting
        b.add("update", update.pk)
        b.add("document", public_doc.pk, private_doc.pk)
        b.add("image", image.pk)
        b.add("collection", private.pk, private.get_parent().pk)
        b.add("site", site.pk)
        b.add("redirect", redirect.pk)
        b.add("filename", public_doc.file.name.rsplit("/", 1)[-1], private_doc.file.name.rsplit("/", 1)[-1])
        b.add("media", public_doc.file.name, image.file.name, upload)
    b.add("media", *[f"{prefix}{point.schema_name}/{path}" for prefix in ("../", "%2E%2E/")
                     for path in (image.file.name, upload)])
    b.add("code", item.code)
    b.add("serve", f"items/{item.code}/", f"items/{item.code}/print/", f"iso-{name}/", f"{point.slug}/")
    b.add("slug", point.slug)
    b.add("schema", point.schema_name)
    b.add("propagation", run.pk)
    b.add("target", *PropagationTarget.objects.filter(propagation=run).values_list("pk", flat=True))
    b.add("version", run.version_id, item.pk)
    b.add("adoption", *Adoption.objects.filter(point=point).filter(item=item.item).values_list("pk", flat=True))
    b.add("point", point.pk)
    b.add("group", *PointGroup.objects.filter(point=point).values_list("group_id", flat=True))
    # A search and a result click at B's own host: rows of B's search log
    # (a click is logged only for an item the index holds at B).
    apply_changes(point.pk)
    at_b = Client(HTTP_HOST=point.primary_host)
    assert at_b.get("/api/search", {"q": f"{mark}query"}).status_code == 200
    assert at_b.get(f"/search/go/{item.code}/", {"q": f"{mark}click", "rank": 1}).status_code == 302
    b.add("searchlog", SearchLog.objects.filter(point=point).latest("pk").pk)
    b.add("click", SearchClick.objects.filter(point=point).latest("pk").pk)
    user = network.user(f"{mark}user", point, "editor")
    user.email, user.first_name = f"{mark}@example.org", f"{mark}first"
    user.save(update_fields=["email", "first_name"])
    b.add("user", user.pk)
    # B's user is locked out after failed sign-ins (axes' rows, in public).
    AccessAttempt.objects.create(username=user.username, ip_address="203.0.113.80", user_agent="", http_accept="",
                                 path_info="/admin/login/", get_data="", post_data="",
                                 failures_since_start=settings.AXES_FAILURE_LIMIT)
    b.add("token", access.issue_entry_token(entry_user, source=entry_user.entry_source, target=point))
    b.add("uid", urlsafe_base64_encode(force_bytes(user.pk)))


CASE_ITEM = "YM-MZJ-GG-002"  # accepted at villages; the county decides


def _plant_cases(network: Network, b: PointB) -> None:
    """Cases opened at B: one handed up to B's township, one still at B's window.
    Lists show an enterprise's name unmasked, so a leaked row shows the marker."""
    mark = b.markers[0]
    clerk = network.user(f"{mark}clerk", b.point, "clerk")
    actor = case_services.Actor(clerk, b.point, "203.0.113.81")
    enterprise = case_services.Applicant("enterprise", f"{HINT}{mark}company", "91110000600037341L", "13812345678",
                                         legal_representative=f"{mark}legal")
    person = case_services.Applicant("person", f"{mark}person", "11010519491231002X", "13912345678")
    check = case_services.MaterialCheck("居民身份证", present=True, copies=1, note=f"{mark}material")
    up = case_services.open_case(actor, case_services.Intake(CASE_ITEM, enterprise, [check]))
    case_services.hand_up(up.pk, actor, note=f"{mark}handup")
    held = case_services.open_case(actor, case_services.Intake(CASE_ITEM, person, [check], token=f"iso-{mark}"))
    b.add("case", up.pk, held.pk)
    b.add("casenumber", up.number, held.number)


def build_world():
    """Two county networks; A is network one's village (and, for other staff,
    its township and county); B as described above."""
    one, two = Network(), Network()
    common_code = (Adoption.objects.filter(point=one.village).values_list("item__code", flat=True)
                   .intersection(Adoption.objects.filter(point=one.other_village).values_list("item__code", flat=True))
                   .intersection(Adoption.objects.filter(point=two.village).values_list("item__code", flat=True))
                   .order_by("item__code").first())
    assert common_code, "the villages share no adopted item"

    sibling = PointB("sibling village (same county)", one.other_village, [_mark()], same_county=True)
    shared_item = _publish_item(authority.SHARED, name="隔离巡检共用事项")
    town2_admin = _entering(one.user("town2-admin", one.other_township, "admin"), one.other_township)
    _plant_village(one, sibling, shared_item, common_code,
                   one.user("author", one.county, "central_admin"), one.user("reviewer", one.county, "central_admin"),
                   town2_admin, {"name": "隔离巡检共用事项（新）"})

    foreign_mark = _mark()
    foreign = PointB("village of another county", two.village, [foreign_mark, two.tag])
    county_code = authority.of_point(two.county)
    department = f"{foreign_mark}dept"
    own_item = _publish_item(county_code, name=f"{HINT}{foreign_mark}item", department=department)
    author = two.user("author", two.county, "central_admin")
    reviewer = two.user("reviewer", two.county, "central_admin")
    _plant_village(two, foreign, own_item, common_code, author, reviewer, _entering(author, two.county),
                   {"name": f"{HINT}{foreign_mark}item2"})
    open_draft = services.start_draft(own_item.item, author, note=f"{foreign_mark}note")
    services.update_draft(open_draft, {**open_draft.content, "name": f"{HINT}{foreign_mark}draft"}, author)
    foreign.add("version", open_draft.pk)
    foreign.add("code", own_item.code)
    foreign.add("serve", f"departments/{department}/")
    foreign.add("dept", department)
    synonyms = SynonymGroup.objects.create(words=[f"{foreign_mark}s", f"{foreign_mark}t"], authority=county_code)
    foreign.add("synonym", synonyms.pk)
    # The other county's own point: its slug and id too.
    foreign.add("slug", two.county.slug)
    foreign.add("point", two.county.pk)
    # A batch of its own catalogue waiting for review.
    batch = ImportBatch.objects.create(file_name=f"{foreign_mark}.xlsx", note=f"{foreign_mark}batch",
                                       status=BatchStatus.REVIEW, outcomes={own_item.code: "changed"},
                                       authority=county_code, uploaded_by=author)
    foreign.add("batch", batch.pk)
    _plant_cases(one, sibling)
    _plant_cases(two, foreign)
    for b in (sibling, foreign):
        b.hosts.add(b.point.primary_host)
    foreign.hosts |= {p.primary_host for p in two.points()}
    for point in (one.village, one.township, one.county, two.county):  # B's own are indexed already
        apply_changes(point.pk)
    return one, two, sibling, foreign


# --- the URL patterns ---------------------------------------------------------

@dataclass
class Param:
    name: str
    kind: str  # "int" or "str"
    body: str = ""  # the group's regex, for regex patterns


def _regex_tokens(regex: str) -> list:
    """A Django regex route as literals and parameters (named and unnamed groups, `.*`)."""
    regex = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    tokens, i, unnamed = [], 0, 0
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            tokens.append(regex[i + 1])
            i += 2
        elif ch == "(":
            depth, j = 0, i
            while True:
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                if depth == 0:
                    break
                j += 1
            body = regex[i + 1:j]
            named = re.match(r"\?P<(\w+)>(.*)$", body, re.S)
            if named:
                name, body = named.groups()
            else:
                unnamed += 1
                name = f"_{unnamed}"
            kind = "int" if body in (r"\d+", "[0-9]+") else "str"
            tokens.append(Param(name, kind, body))
            i = j + 1
            if i < len(regex) and regex[i] in "?*+":
                i += 1
        elif regex.startswith(".*", i) or regex.startswith(".+", i):
            tokens.append(Param("_any", "str", regex[i:i + 2]))
            i += 2
        else:
            tokens.append(ch)
            i += 1
    return tokens


def _route_tokens(pattern) -> list:
    tokens, pos, route = [], 0, str(pattern)
    for m in re.finditer(r"<(?:(?P<conv>[^>:]+):)?(?P<name>\w+)>", route):
        tokens.append(route[pos:m.start()])
        converter = pattern.converters.get(m["name"])
        tokens.append(Param(m["name"], "int" if isinstance(converter, IntConverter) else "str"))
        pos = m.end()
    tokens.append(route[pos:])
    return tokens


def url_patterns():
    """(template tokens, pattern name, view module) for every leaf pattern of the tenant URL conf."""
    def tokens(pattern):
        return _regex_tokens(pattern._regex) if isinstance(pattern, RegexPattern) else _route_tokens(pattern)

    def walk(resolver, prefix):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + tokens(entry.pattern))
            else:
                yield prefix + tokens(entry.pattern), entry.name, entry.lookup_str

    return list(walk(get_resolver("yimen.urls_tenant"), []))


# Which of B's ids an integer parameter takes, by name, else by the route it is in.
INT_KINDS = {
    "page_id": ["page"], "parent_page_id": ["page"], "page_to_move_id": ["page"], "destination_id": ["page"],
    "page_pk": ["page"], "revision_id": ["revision"], "revision_id_a": ["revision"], "revision_id_b": ["revision"],
    "image_id": ["image"], "document_id": ["document"], "doc_id": ["document"],
    "uploaded_file_id": ["document", "image"], "collection_id": ["collection"], "redirect_id": ["redirect"],
    "site_pk": ["site"], "case_id": ["case"],
}
INT_KINDS_BY_ROUTE = [
    ("standards/versions/", ["version"]), ("standards/propagations/", ["propagation", "target"]),
    ("standards/imports/", ["batch"]),
    ("standard-updates/", ["update"]), ("pages/", ["page"]), ("documents", ["document"]), ("images", ["image"]),
    ("collections/", ["collection"]), ("sites/", ["site"]), ("users/", ["user"]), ("groups/", ["group"]),
    ("settings/", ["site"]),
]
STR_KINDS = {
    "code": ["code"], "slug": ["slug"], "token": ["token"], "uidb64": ["uid"], "document_filename": ["filename"],
    "path": ["media"],
    "object_id": ["page"], "pk": ["document", "image"], "_any": ["slug"],
}
# Names whose object the route says (`pk`, an unnamed group); any other integer (Wagtail's
# workflows, tasks, editing sessions, restrictions: B has none) takes a sample of B's ids.
ROUTE_NAMED = ("pk", "_1")


def _values(param: Param, literal: str, name: str | None, b: PointB) -> list[str]:
    if param.kind == "int" or param.name in INT_KINDS:  # (revision compare: `live|earliest|\d+`)
        kinds = INT_KINDS.get(param.name)
        if kinds is None and param.name in ROUTE_NAMED:
            kinds = next((k for route, k in INT_KINDS_BY_ROUTE if route in literal), None)
        values = [v for k in kinds for v in b.ints.get(k, [])] if kinds else b.sample()
        if param.name.startswith("revision_id_"):
            values += ["live", "latest", "earliest"]
        return [str(v) for v in values]
    if name == "wagtail_serve":
        return b.strs["serve"]
    if param.name == "_2" and "documents" in literal:
        return b.strs["filename"]
    if param.name == "filter_spec":
        return ["original", "max-165x165"]
    if param.name in ("action", "action_name"):
        return ACTIONS
    kinds = STR_KINDS.get(param.name)
    if kinds is None:
        return b.strs["slug"] + b.strs["code"] + b.strs["schema"]
    return [str(v) for k in kinds for v in (b.strs.get(k) or b.ints.get(k, []))]


def urls_for(tokens: list, name: str | None, view: str, b: PointB) -> list[str]:
    """Every candidate for a one-parameter pattern; for several, a few combinations
    (app label and model name always as a pair that exists)."""
    params = [t for t in tokens if isinstance(t, Param)]
    literal = "".join(t for t in tokens if isinstance(t, str))
    if not params:
        base = "/" + literal
        urls = [base]
        if name and SEARCHES.search(name) and not view.startswith("wagtail."):
            urls.append(f"{base}?{urlencode({'q': HINT})}")
        if name and (name.startswith("cases_") or name == "case_progress"):
            urls += [f"{base}?{urlencode({'number': n})}" for n in b.strs.get("casenumber", [])]
        if "pages/find" in literal:
            urls += [f"{base}?{urlencode({'html_path': '/' + p})}" for p in b.strs["serve"]]
        if "documents" in literal or "images" in literal:
            urls += [f"{base}?{urlencode({'collection_id': c})}" for c in b.ints["collection"]]
        return urls
    choices = {}
    app_params = [p for p in params if p.name in ("app_label", "app_name", "content_type_app_name")]
    model_params = [p for p in params if p.name in ("model_name", "content_type_model_name")]
    for p in params:
        if p in app_params or p in model_params:
            continue
        prefix = "".join(t for t in tokens[:tokens.index(p)] if isinstance(t, str))
        choices[p.name] = _values(p, prefix, name, b) or ["0"]
    if app_params:
        choices["__pair"] = APP_MODELS
    names = list(choices)
    product = list(itertools.product(*choices.values()))
    combos = product if len(product) <= MAX_COMBOS or len(choices) == 1 else [
        tuple(values[i % len(values)] for values in choices.values()) for i in range(MAX_COMBOS)]
    urls = []
    for combo in combos:
        chosen = dict(zip(names, combo, strict=True))
        pair = chosen.pop("__pair", None)
        parts = []
        for t in tokens:
            if isinstance(t, str):
                parts.append(t)
            elif t in app_params:
                parts.append(pair[0])
            elif t in model_params:
                parts.append(pair[1])
            else:
                value = chosen[t.name]
                parts.append(value if t.name in ("path", "_1") or "%" in value else quote(value, safe="/"))
        url = "/" + "".join(parts)
        if "bulk" in literal:
            url += "?" + urlencode([("id", v) for v in b.ints["page"]])
        urls.append(url)
    return urls


def api_urls(b: PointB) -> list[str]:
    """Every endpoint of the search API (and the results page, which takes the
    same parameters) with B's codes, slugs and department in its parameters, one
    at a time, each in the point's and in the whole network's scope. Queries
    are B's codes and words B's content holds, not B's slug: every query is
    logged at A, and A's search statistics would show the walker's own words."""
    spec = json.loads((ROOT / "search" / "openapi.json").read_text("utf-8"))
    urls = []
    paths = dict(spec["paths"])
    paths.setdefault("/search/", paths.get("/api/search", {}))
    for path, methods in paths.items():
        params = methods.get("get", {}).get("parameters", [])
        names = {p["name"] for p in params}
        bases = [path]
        for p in params:
            if p.get("in") == "path":
                bases = [base.replace("{" + p["name"] + "}", quote(code)) for base in bases for code in b.strs["code"]]
        default = {"q": HINT} if "q" in names else {}
        variants = [dict(default)]
        for p in params:
            if p.get("in") != "query" or p["name"] == "scope" or p.get("schema", {}).get("type") != "string":
                continue
            if p["name"] == "q":
                values = ["办理", *b.strs["code"]]
            elif p["name"] == "department":
                values = b.strs.get("dept", []) + b.strs["slug"]
            elif "enum" in p.get("schema", {}):
                continue  # the same choices at every point: nothing of B to put in
            else:
                values = b.strs["slug"] + b.strs["code"]
            variants += [{**default, p["name"]: v} for v in values]
        if "scope" in names:
            variants += [{**v, "scope": "network"} for v in variants]
        if "rank" in names:
            variants = [{**v, "rank": 1} for v in variants]
        urls += [f"{base}?{urlencode(v)}" if v else base for base in bases for v in variants]
    return urls


# --- the walk ------------------------------------------------------------------

@dataclass
class Actor:
    label: str
    point: object
    user: object | None
    bs: list[PointB]
    # Wagtail's own views check model and page permissions inside the point's
    # schema, alike at every point, and a village admin holds a superset of
    # the other roles' there: the others walk our own views (and, at another
    # point than the village, the site too). The roles below admin ask each of
    # our URL patterns once per B (its first candidate values). The search API
    # answers everyone alike: asked by the anonymous visitor and at the other points.
    everything: bool = True
    site: bool = True
    every_candidate: bool = True
    api: bool = True

    def walks(self, name: str | None, view: str) -> bool:
        if name in SKIP_NAMES:
            return False
        ours = not view.startswith("wagtail.")
        return self.everything or ours or (self.site and name == "wagtail_serve")


def _body(response) -> str:
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)
        response.close()
    else:
        data = response.content
    return data.decode("utf-8", "replace").lower()


def _without(text: str, injected: list[str]) -> str:
    """The response without what the request itself put in (a page may echo its own URL)."""
    for value in injected:
        for form in {value.lower(), quote(value, safe="/").lower()}:
            if len(form) > 3:
                text = text.replace(form, "")
    return text


def walk(actors: list[Actor], patterns) -> tuple[list[tuple], int]:
    errors = []

    def record(sender, request=None, **kwargs):
        errors.append(repr(sys.exc_info()[1]))

    got_request_exception.connect(record, weak=False, dispatch_uid="isolation-walk")
    findings, count = [], 0
    try:
        for actor in actors:
            client = Client(HTTP_HOST=actor.point.primary_host)
            client.raise_request_exception = False
            if actor.user is not None:
                with tenant_context(actor.point):
                    client.force_login(actor.user)
            urls: list[str] = []
            for b in actor.bs:
                for tokens, name, view in patterns:
                    if actor.walks(name, view):
                        found = urls_for(tokens, name, view, b)
                        urls += found if actor.every_candidate else found[:1]
                if actor.api:
                    urls += api_urls(b)
            began, before = time.monotonic(), count
            values = {v for b in actor.bs for vs in b.strs.values() for v in vs}
            for url in dict.fromkeys(urls):
                count += 1
                errors.clear()
                response = client.get(url)
                if response.status_code >= 500:
                    findings.append((actor.label, url, response.status_code, "server error",
                                     errors[-1] if errors else ""))
                injected = [v for v in values if v in url or quote(v, safe="/") in url]
                text = _without(_body(response), injected)
                location = _without(response.get("Location", "").lower(), injected)
                for b in actor.bs:
                    for marker in b.markers:
                        if marker.lower() in text or marker.lower() in location:
                            findings.append((actor.label, url, response.status_code,
                                             f"{b.label}: marker {marker}", ""))
                            break
                host = urlsplit(response.get("Location", "")).hostname
                if host and host != actor.point.primary_host:
                    for b in actor.bs:
                        allowed = b.same_county and url.startswith("/search/go/")
                        if host in b.hosts and not allowed:
                            findings.append((actor.label, url, response.status_code,
                                             f"{b.label}: redirect to {host}", ""))
            print(f"  {actor.label}: {count - before} URLs, {time.monotonic() - began:.1f} s")
    finally:
        got_request_exception.disconnect(dispatch_uid="isolation-walk")
    return findings, count


def positive_controls(two: Network, sibling: PointB, foreign: PointB) -> dict[str, bool]:
    """What B's people see at B's host holds B's markers (or the walk could pass looking for nothing)."""
    seen = {}
    for b in (sibling, foreign):
        mark = b.markers[0]
        at_b = Client(HTTP_HOST=b.point.primary_host)
        seen[f"{b.label}: guide"] = f"{mark}window" in at_b.get(f"/items/{b.strs['code'][0]}/").content.decode()
        with tenant_context(b.point):
            at_b.force_login(_admin_of(b.point))
        seen[f"{b.label}: search statistics"] = f"{mark}query" in at_b.get("/admin/search-stats/").content.decode()
        seen[f"{b.label}: page privacy"] = b.point.slug in at_b.get(
            f"/admin/pages/{b.ints['page'][0]}/privacy/").content.decode()
        with tenant_context(b.point):
            at_b.force_login(network_user(b.point, "clerk"))
        case_page = at_b.get(f"/admin/cases/{b.ints['case'][0]}/").content.decode()
        seen[f"{b.label}: case page"] = f"{mark}material" in case_page
        seen[f"{b.label}: case list"] = f"{mark}company" in at_b.get("/admin/cases/").content.decode()
    at_county = Client(HTTP_HOST=two.county.primary_host)
    with tenant_context(two.county):
        at_county.force_login(two.user("control", two.county, "central_admin"))
    library = at_county.get("/admin/standards/", {"q": foreign.strs["code"][-1]}).content.decode()
    seen["other county: its standard library"] = f"{foreign.markers[0]}item" in library
    connection.set_schema_to_public()
    return seen


def _admin_of(point):
    return network_user(point, "admin")


def network_user(point, role: str):
    user = get_user_model().objects.create_user(f"{point.slug}-control-{role}")
    grant_role(user, point, role)
    return user


@pytest.fixture(scope="module")
def walked(django_db_setup, django_db_blocker):
    quiet = [logging.getLogger(name) for name in ("django.request", "django.security", "wagtail")]
    levels = [logger.level for logger in quiet]
    started = time.monotonic()
    with django_db_blocker.unblock():
        try:
            one, two, sibling, foreign = build_world()
            built = time.monotonic()
            for logger in quiet:
                logger.setLevel(logging.CRITICAL)
            actors = [Actor("anonymous at A (village)", one.village, None, [sibling, foreign])]
            for role in ("admin", "editor", "clerk", "supervisor"):
                actors.append(Actor(f"{role} of A (village)", one.village,
                                    one.user(f"a-{role}", one.village, role), [sibling, foreign],
                                    everything=role == "admin", site=role == "admin",
                                    every_candidate=role == "admin", api=False))
            actors.append(Actor("admin of A's township", one.township, one.user("t-admin", one.township, "admin"),
                                [sibling, foreign], everything=False))
            # The county reaches down to the sibling on purpose ("下级服务点 → 进入"): only the other county is B.
            actors.append(Actor("central admin of A's county", one.county,
                                one.user("c-admin", one.county, "central_admin"), [foreign], everything=False))
            findings, count = walk(actors, url_patterns())
            controls = positive_controls(two, sibling, foreign)
        finally:
            for logger, level in zip(quiet, levels, strict=True):
                logger.setLevel(level)
            connection.set_schema_to_public()
    print(f"\nisolation walk: {count} requests, setup {built - started:.1f} s, "
          f"walk {time.monotonic() - built:.1f} s, {len(findings)} findings")
    return findings, count, controls


def _report(findings, count) -> str:
    return f"{len(findings)} findings in {count} requests:\n" + "\n".join(
        f"  {actor} GET {url} → {status}: {what} {detail}" for actor, url, status, what, detail in findings)


def test_the_markers_are_there_to_be_found(walked):
    """B's own host shows B's markers to B's people: the walk looks for strings that exist."""
    findings, count, controls = walked
    assert all(controls.values()), controls


def test_no_url_of_point_a_shows_anything_of_point_b(walked):
    findings, count, controls = walked
    assert count > 1500
    assert not findings, _report(findings, count)
