"""Student text inside the Markdown (and HTML) the course writes: shown, never rendered.

A failed check's message quotes what student code raised, and names and file names come
from students, so ``summary.md`` may not take them as they are: ``![x](http://...)`` would
load an image where the instructor reads it, ``<img onerror=...>`` would be HTML, ``[x](..)``
a link, ``|`` a new table cell. ``text`` makes one line of such text inert wherever
CommonMark or GitHub's Markdown renders it: every character that starts markup is
backslash-escaped, and what a renderer would turn into a link by itself (a bare URL,
``www.``, an e-mail address) is shown as code, where nothing is linked. (The HTML the
course makes, nbgrader's feedback, comes from stream outputs, which nbconvert escapes.)
"""

import re

# A URL, www. address or e-mail address, up to the next space or character escaped below.
LINKABLE = re.compile(r"(?i)(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s`|<>\[\]]*|[^\s`|<>\[\]@]+@[^\s`|<>\[\]@]+")
# What starts markup anywhere in a line: HTML and autolinks (<), entities (&), links and
# images ([ ]), code (`), emphasis (*, and _ at a word's edge), strikethrough (~), tables
# (|), and the backslash itself. (What is special only at a line's start cannot occur:
# student text never starts one.)
MARKUP = re.compile(r"[\\`*\[\]<&|~!]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def _escape(part):
    return MARKUP.sub(lambda m: "\\" + m.group(), part)


def text(value, limit=300):
    """``value`` as one line of Markdown text that renders as exactly these characters
    (cut to ``limit``, whitespace and newlines made single spaces)."""
    value = " ".join(str(value).split())
    if len(value) > limit:
        value = value[:limit].rsplit(" ", 1)[0] + " ..."
    out, at = [], 0
    for m in LINKABLE.finditer(value):
        out += [_escape(value[at:m.start()]), f"`{m.group()}`"]
        at = m.end()
    return "".join(out + [_escape(value[at:])])

