"""Icons are inline SVG drawn from the bootstrap-icons package, never the icon font; an unknown one is an error."""

import re

import pytest
from django.conf import settings
from django.template import Context, Template, engines
from django.urls import reverse

from common.templatetags import icons
from infrastructure.deadlines import Light

PACKAGE = settings.BASE_DIR / "node_modules" / "bootstrap-icons" / "icons"
SHAPES = re.compile(r"<(?:path|circle|rect)\b[^>]*/>")


@pytest.fixture(autouse=True)
def read_afresh():
    """Each test reads the drawings itself: what an earlier test cached must not answer for it."""
    icons.drawing.cache_clear()
    yield
    icons.drawing.cache_clear()


def render(source: str, **context) -> str:
    return Template("{% load icons %}" + source).render(Context(context))


def test_an_icon_is_the_packages_svg_drawing_inline_hidden_from_screen_readers():
    html = render('{% icon "house-heart" %}')
    assert html.startswith('<svg class="bi bi-house-heart" viewBox="0 0 16 16" aria-hidden="true">')
    assert html.endswith("</svg>")
    assert SHAPES.findall(html) == SHAPES.findall((PACKAGE / "house-heart.svg").read_text())
    assert "<i " not in html


def test_an_icon_takes_extra_classes_and_its_name_from_a_variable():
    html = render('{% icon name class="verdict-fail small" %}', name="x-circle-fill")
    assert html.startswith('<svg class="bi bi-x-circle-fill verdict-fail small" ')


def test_an_unknown_icon_written_in_a_template_fails_when_the_template_is_compiled():
    with pytest.raises(icons.UnknownIcon, match="no-such-icon"):
        Template('{% load icons %}{% icon "no-such-icon" %}')


@pytest.mark.parametrize("name", ["no-such-icon", "../../package", "", "HOUSE"])
def test_an_unknown_icon_held_in_a_variable_fails_when_rendered(name):
    template = Template("{% load icons %}{% icon name %}")
    with pytest.raises(icons.UnknownIcon):
        template.render(Context({"name": name}))


def test_every_template_compiles_so_every_icon_written_in_one_exists():
    engine = engines["django"]
    names = sorted(
        str(path.relative_to(settings.BASE_DIR / "templates"))
        for path in (settings.BASE_DIR / "templates").rglob("*.html")
    )
    for name in names:
        engine.get_template(name)  # raises UnknownIcon for a name that is not in the package
    assert "base.html" in names


def test_every_traffic_light_of_the_infrastructure_has_an_icon():
    for light in Light:
        assert render("{% icon light.icon %}", light=light).startswith(f'<svg class="bi bi-{light.icon}"')


def test_icons_come_from_the_collected_static_files_when_node_modules_is_not_there(settings, tmp_path):
    # A production host that collected its static files and then dropped node_modules.
    collected = tmp_path / "static" / "vendor" / "bootstrap-icons"
    collected.mkdir(parents=True)
    (collected / "house.svg").write_text((PACKAGE / "house.svg").read_text())
    settings.STATICFILES_DIRS = [settings.BASE_DIR / "static"]
    settings.STATIC_ROOT = tmp_path / "static"
    assert SHAPES.findall(render('{% icon "house" %}')) == SHAPES.findall((PACKAGE / "house.svg").read_text())
    with pytest.raises(icons.UnknownIcon):
        render('{% icon "house-heart" %}')  # in the package, but neither found nor collected here


APPS = ("accounts", "households", "assistance", "visits", "infrastructure", "reports")


def test_no_template_or_code_uses_the_icon_font_classes_any_more():
    font_class = re.compile(r"""class="bi\b|["' ]bi-[a-z]""")
    base = settings.BASE_DIR
    files = [*(base / "templates").rglob("*.html"), *(base / "static").rglob("*.js")]
    files += [path for app in APPS for path in (base / app).rglob("*.py") if "tests" not in path.parts]
    assert [str(path.relative_to(base)) for path in files if font_class.search(path.read_text())] == []


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
def test_no_page_links_the_icon_font_and_its_icons_are_inline(client, alice, signed_in):
    if signed_in:
        client.force_login(alice)
    page = client.get(reverse("visits:due") if signed_in else reverse("login"), follow=True).content.decode()
    assert "bootstrap-icons" not in page
    assert ".woff" not in page
    assert '<svg class="bi bi-house-heart" viewBox="0 0 16 16" aria-hidden="true"><path ' in page  # the brand
