r"""Numbers in a notebook's prose that come from its outputs, checked against what it measured.

A code cell keeps a measured number with ``record("name", value)`` (``autograder.notebook``).
Markdown quotes it with an HTML comment right after the number, which Jupyter does not show:

* ``0.47<!--q name-->``: the number equals the recorded value at the precision written
  (0.47 stands for anything in [0.465, 0.475]; ``1.2e-14`` for [1.15e-14, 1.25e-14]);
* ``$10^{-11}$<!--q name-->``: an order of magnitude: log10 of the value rounds to -11;
* ``47%<!--q name-->``: the same, for a recorded fraction (0.47) written as a percentage
  (``13.5x<!--q name-->`` and ``13.5×`` read as 13.5);
* ``about 0.6<!--q name ±0.05-->``, ``about 60%<!--q name ±10%-->``: within an absolute
  tolerance, or a relative one (``±10%`` of the recorded value);
* ``many times more<!--q name >3-->``: a word, not a number, backed by a bound on the value
  (``>``, ``>=``, ``<``, ``<=``), for claims like "larger", "many times" or "below chance";
* ``0.31 ± 0.02<!--q name--> over 3 seeds`` (or ``$0.31 \pm 0.02$``, ``31% ± 2%``): a chaotic
  number (a training outcome, a timing) with the spread the notebook measured over seeds,
  written where the reader sees it; the recorded value must lie within the written spread,
  and where the notebook also records ``name_sd`` (its standard deviation over the seeds),
  the written spread may not be smaller than that.
  Exact digits belong only to numbers that are exact on any IEEE machine; a number that
  moves with the machine's rounding is quoted this way, or by a bound the claim needs.

``check_quotes(cells, values)`` returns one line per quote that does not hold (or names a
value that was never recorded), so a test can show them all at once.
"""

import math
import re

NUMBER = (r"(?:(?P<number>(?<![\w.^{])[-−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|10\^\{?(?P<power>[-−]?\d+)\}?)"
          r"(?:\s?(?P<percent>%)|\s?[×x](?!\w))?"
          r"(?:\s*(?:±|\\pm)\s*(?P<spread>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s?%?)?[*$)]*\s*")
MARKER = r"<!--\s*q\s+(?P<name>[\w.]+)\s*(?P<condition>.*?)\s*-->"
QUOTE = re.compile(f"(?:{NUMBER})?{MARKER}")
CONDITION = re.compile(r"^(?:±\s*(?P<tol>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?P<rel>%)?|"
                       r"(?P<op>>=|<=|>|<)\s*(?P<bound>[-−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?))?$")


def half_unit(text):
    """Half a unit in the last written digit of ``text``: how far a correctly rounded quote may be."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals)


def number(text):
    return float(text.replace("−", "-"))


def quotes(markdown):
    """Every quote in a markdown text: dicts with name, number (or None), percent, condition."""
    for m in QUOTE.finditer(markdown):
        yield {"name": m["name"], "number": m["number"], "power": m["power"], "percent": bool(m["percent"]),
               "spread": m["spread"], "condition": m["condition"].strip(), "text": m.group(0)}


def problem(quote, values):
    """Why ``quote`` does not hold for ``values`` ({name: number}), or None when it does."""
    name, text, condition = quote["name"], quote["text"], quote["condition"]
    if name not in values:
        return f"{text!r}: nothing was recorded as {name!r}"
    value = values[name]
    c = CONDITION.match(condition)
    if c is None:
        return f"{text!r}: cannot read the condition {condition!r} (use ±x, ±x%, >x, >=x, <x or <=x)"
    if not isinstance(value, (int, float)) or math.isnan(value):
        return f"{text!r}: the recorded value of {name!r} is {value!r}, not a number"
    if c["op"]:
        bound = number(c["bound"])
        ok = {">": value > bound, ">=": value >= bound, "<": value < bound, "<=": value <= bound}[c["op"]]
        return None if ok else f"{text!r}: {name} = {value:g} is not {c['op']} {bound:g}"
    if quote["power"] is not None and c["tol"] is None:
        exponent = int(number(quote["power"]))
        if value > 0 and round(math.log10(value)) == exponent:
            return None
        return f"{text!r}: the notebook measured {name} = {value:.3g}, not of the order of 10^{exponent}"
    if quote["number"] is None:
        return f"{text!r}: no number before the marker, and no bound in it"
    shown = value * 100 if quote["percent"] else value
    written = number(quote["number"])
    if quote.get("spread") is not None:
        if c["tol"] is not None:
            return f"{text!r}: give the spread once, in the prose or in the marker, not both"
        spread = number(quote["spread"])
        sd = values.get(f"{name}_sd")
        if isinstance(sd, (int, float)) and spread + half_unit(quote["spread"]) * (1 + 1e-9) < sd:
            return f"{text!r}: the prose says ± {quote['spread']}, but {name}_sd was measured as {sd:.3g}"
        allowed = (spread + half_unit(quote["number"])) * (1 + 1e-9)
    elif c["tol"] is None:
        allowed = half_unit(quote["number"]) * (1 + 1e-9)
    elif c["rel"]:
        allowed = abs(shown) * float(c["tol"]) / 100
    else:
        allowed = float(c["tol"])
    if abs(written - shown) <= allowed:
        return None
    unit = "%" if quote["percent"] else ""
    said = quote["number"] + unit + (f" ± {quote['spread']}{unit}" if quote.get("spread") else "")
    return f"{text!r}: the notebook measured {name} = {shown:.6g}{unit}, the prose says {said}"


def check_quotes(markdown_cells, values):
    """One message per quote in ``markdown_cells`` (a list of texts) that ``values`` contradict."""
    return [p for cell in markdown_cells for q in quotes(cell) if (p := problem(q, values))]
