"""`{% icon "house-heart" %}`: a Bootstrap icon drawn inline as SVG, in place of the icon font.

The font cost every first visit 148 kB (its stylesheet and the woff2 of all 2,000 icons) for the forty or so the
site shows. Inline, a page carries only its own icons, a few hundred bytes each before compression, with no
request of their own.

The drawings are the bootstrap-icons npm package's `icons/<name>.svg`, read through the static files machinery
(settings.STATICFILES_DIRS maps them to vendor/bootstrap-icons/): from node_modules where it is installed
(development, tests, a server that kept it), else from the copy `collectstatic` made in STATIC_ROOT, so a
production host may do without node_modules once its static files are collected. Each icon is read once per
process and kept in memory.

An unknown name is an error, never an empty space: for a name written in a template it is raised when the
template is compiled, so any test that renders the page fails; for a name held in a variable (the traffic lights
of infrastructure.deadlines), when it is rendered.
"""

import functools
import re

from django import template
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ImproperlyConfigured
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

FOLDER = "vendor/bootstrap-icons"
NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SVG = re.compile(r'<svg\b[^>]*\bviewBox="(?P<box>[^"]+)"[^>]*>(?P<drawing>.*)</svg>', re.DOTALL)
BETWEEN_TAGS = re.compile(r">\s+<")


class UnknownIcon(template.TemplateSyntaxError):
    pass


@functools.cache
def drawing(name: str) -> tuple[str, SafeString]:
    """The viewBox and the shapes of the Bootstrap icon `name`; UnknownIcon when there is none."""
    source = _read(f"{FOLDER}/{name}.svg") if NAME.fullmatch(name) else None
    found = SVG.search(source or "")
    if found is None:
        raise UnknownIcon(f"No Bootstrap icon is named {name!r} (looked for {FOLDER}/{name}.svg in the static files)")
    return found["box"], mark_safe(BETWEEN_TAGS.sub("><", found["drawing"].strip()))  # the package's own markup


def _read(path: str) -> str | None:
    """A static file's text: from where the finders find it, else from the collected copy; None if neither."""
    found = finders.find(path)
    if found:
        with open(found, encoding="utf-8") as source:
            return source.read()
    try:
        with staticfiles_storage.open(path) as collected:
            return collected.read().decode("utf-8")
    except (OSError, ImproperlyConfigured):  # not collected, or no STATIC_ROOT at all (the tests)
        return None


def svg(name: str, css_class: str = "") -> SafeString:
    """The inline SVG of an icon, hidden from screen readers: the text beside it says what it means."""
    box, shapes = drawing(name)
    classes = " ".join(["bi", f"bi-{name}", *css_class.split()])
    return format_html('<svg class="{}" viewBox="{}" aria-hidden="true">{}</svg>', classes, box, shapes)


class IconNode(template.Node):
    def __init__(self, name: template.base.FilterExpression, css_class: template.base.FilterExpression | None):
        self.name, self.css_class = name, css_class

    def render(self, context):
        css_class = self.css_class.resolve(context) if self.css_class is not None else ""
        return svg(str(self.name.resolve(context)), str(css_class or ""))


@register.tag
def icon(parser, token):
    """`{% icon "name" %}`, `{% icon light.icon %}`, `{% icon "x-circle" class="text-danger" %}`."""
    bits = token.split_contents()
    if len(bits) not in (2, 3):
        raise template.TemplateSyntaxError(f'{bits[0]} takes an icon name and optionally class="…"')
    name = parser.compile_filter(bits[1])
    css_class = None
    if len(bits) == 3:
        options = template.base.token_kwargs(bits[2:], parser)
        if set(options) != {"class"}:
            raise template.TemplateSyntaxError(f'{bits[0]}: the only option is class="…"')
        css_class = options["class"]
    if isinstance(name.var, str) and not name.filters:  # a name written in the template: checked now
        drawing(name.var)
    return IconNode(name, css_class)
