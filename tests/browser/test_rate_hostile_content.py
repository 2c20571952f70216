"""Hostile item content on the rating page: nothing runs, nothing loads, nothing is requested, rating still works."""

import pytest

from annotate.models import CampaignItem
from ratings.models import Rating
from tests.annotate.test_render_content import HOSTILE
from tests.factories import ItemFactory

pytestmark = pytest.mark.browser

CRITERIA = [
    {"key": "helpful", "type": "likert", "label": "Helpful", "scale": {"min": 1, "max": 5}},
    {"key": "rationale", "type": "free_text", "label": "Rationale"},
]
# Any request whose URL contains this marker means hostile content made the browser fetch something.
HIT = "__hostile_hit__"
BROWSER_ONLY = [
    "<iframe srcdoc=\"<script>alert('srcdoc')</script>\"></iframe>",
    "<svg onload=alert('svg')><script>alert('svg-script')</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text y="20">svg link</text></a></svg>',
    "<style>#rate-form { display: none } body { background: red }</style>",
    f"<link rel=stylesheet href=/{HIT}/link.css>",
    f'<base href="/{HIT}/base/">',
    f'<div hx-get="/{HIT}/hx-get" hx-trigger="load" hx-target="body">hx-get</div>',
    f'<button hx-post="/{HIT}/hx-post" hx-trigger="load">hx-post</button>',
    f'<div data-hx-get="/{HIT}/data-hx-get" data-hx-trigger="load">data-hx-get</div>',
    f'<div hx-get="/{HIT}/revealed" hx-trigger="revealed">revealed</div>',
    f"<img src=/{HIT}/img.png>",
    f"![tracker](/{HIT}/md.png) ![remote](https://evil.example/{HIT}/pixel.png)",
    f'<video autoplay><source src="/{HIT}/v.mp4" onerror="alert(\'video\')"></video>',
    "<details open ontoggle=alert('toggle')><summary>details</summary></details>",
    "<input autofocus onfocus=alert('focus')>",
    "<textarea autofocus>steals focus?</textarea>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')></style></mglyph></table></mtext></math>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('noscript')>\"></noscript>",
    "<a href=\"&#106;avascript:alert('entity')\">click-entity</a>",
    "[click-js](javascript:alert('md-link'))",
    "<javascript:alert('autolink')>",
    "[click-ref][r]\n\n[r]: javascript:alert('ref')",
    "<a href=\"javascript:alert('raw')\">click-raw</a>",
    "safe \u202eevil\u202c and zero\u200bwidth\u200d joiner \ufeff bom",
    "<b>unclosed <i>tags <div><table><tr><td>cell <a href='http://x",
]
CLICKABLE = ["click-js", "click-ref", "click-raw", "click-entity", "svg link"]
MEGABYTE = "x" * 1_000_000


def _hostile_item() -> dict[str, object]:
    content: dict[str, object] = {f"field_{n:02d}": payload for n, payload in enumerate(HOSTILE + BROWSER_ONLY)}
    content["<img src=x onerror=alert('field-name')>"] = "a hostile field name"
    content["conversation"] = [{"role": "user", "content": payload} for payload in HOSTILE[:5] + BROWSER_ONLY[:5]] + [
        {"role": "<script>alert('role')</script>", "content": {"tool": "<script>alert('json')</script>"}}
    ]
    content["json"] = {"html": "<script>alert('json')</script>", "list": BROWSER_ONLY[:3]}
    return content


def _assert_nothing_happened(page, page_log, base_url: str) -> None:
    assert page_log.dialogs == [], "a dialog opened: item content ran script"
    assert page_log.errors == [], "a script error occurred"
    # A CSP report would mean the sanitiser let something executable through and only the policy stopped it.
    assert page_log.console_errors == []
    assert [url for url in page_log.requests if HIT in url or not url.startswith(base_url)] == []
    assert page.evaluate("() => window.__marker") == 1


def test_hostile_content_renders_inert_and_the_item_can_still_be_rated(
    page, page_log, login, rating_campaign, screenshot
) -> None:
    campaign, rater = rating_campaign(CRITERIA, [_hostile_item()])
    login(rater)
    base_url = page.evaluate("() => location.origin")
    page.goto(f"/c/{campaign.slug}/rate/")
    page.wait_for_function("() => document.activeElement?.closest('.criterion') !== null")
    page.evaluate("() => { window.__marker = 1; }")
    # Give load/revealed triggers and media errors a moment to fire if anything survived.
    page.wait_for_timeout(300)
    screenshot("rate-hostile", full_page=False)

    # No autofocus in the content took the rater's focus, and no <style> hid the form.
    assert page.evaluate("() => document.activeElement.closest('.criterion')?.id") == "criterion-helpful"
    assert page.is_visible("#rate-form")
    content = page.locator(".rate-item")
    assert content.locator("script, iframe, style, svg, img, video, input, textarea, object, embed, base").count() == 0
    assert (
        page.evaluate(
            "() => Array.from(document.querySelectorAll('.rate-item *')).flatMap("
            "e => Array.from(e.attributes).map(a => a.name))"
            ".filter(n => n.startsWith('on') || n.includes('hx-') && n !== 'hx-disable'"
            " || n === 'style' || n === 'srcdoc')"
        )
        == []
    )
    # The bidi override and zero-width characters are shown as text, isolated from the page around them.
    assert "\u202eevil" in content.inner_text()

    # javascript: links must not survive as links; click where each one is drawn anyway.
    hrefs = content.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert all(href is None or href.startswith(("http:", "https:", "mailto:")) for href in hrefs), hrefs
    for text in CLICKABLE:
        shown = content.get_by_text(text)
        assert shown.count() >= 1, f"{text!r} is not on the page"
        shown.first.click()
    assert page.url.endswith(f"/c/{campaign.slug}/rate/"), "a link in the content navigated away"
    _assert_nothing_happened(page, page_log, base_url)

    # The megabyte item joins the sample now, so it is the one served next whatever the rater's order.
    megabyte = ItemFactory(dataset=campaign.dataset, content={"response": MEGABYTE})
    CampaignItem.objects.create(campaign=campaign, item=megabyte, order_key=campaign.items.count())

    # Unclosed tags in the content did not swallow the form: the keyboard still rates the item.
    previous = page.input_value("#rate-form input[name=assignment]")
    page.keyboard.press("4")
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "(p) => document.querySelector('#rate-form input[name=assignment]')?.value !== p", arg=previous
    )
    assert Rating.objects.get(rater=rater).values == {"helpful": 4}

    # A megabyte on one line wraps inside the item instead of widening the page.
    page.wait_for_timeout(200)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("rate-megabyte", full_page=False)
    assert page.evaluate("() => document.activeElement.closest('.criterion')?.id") == "criterion-helpful"
    _assert_nothing_happened(page, page_log, base_url)
