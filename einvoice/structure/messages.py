"""Our German and English wording of structural findings: what was found, what was expected."""

from __future__ import annotations

from einvoice.structure.table import SType

# What a value of each built-in type must look like, (German, English).
_EXPECT: dict[str, tuple[str, str]] = {
    "date": ("kein gültiges Datum (JJJJ-MM-TT)", "not a valid date (YYYY-MM-DD)"),
    "time": ("keine gültige Uhrzeit (hh:mm:ss)", "not a valid time (hh:mm:ss)"),
    "dateTime": (
        "kein gültiger Zeitpunkt (JJJJ-MM-TTThh:mm:ss)",
        "not a valid date and time (YYYY-MM-DDThh:mm:ss)",
    ),
    "decimal": (
        "keine gültige Dezimalzahl (Ziffern, optional Vorzeichen und Punkt als Dezimaltrenner, "
        "z. B. 1234.56; kein Komma, kein Exponent, keine Tausendertrennzeichen)",
        "not a valid decimal number (digits, optional sign and a point as decimal separator, "
        "e.g. 1234.56; no comma, no exponent, no thousands separators)",
    ),
    "integer": ("keine gültige ganze Zahl", "not a valid integer"),
    "boolean": (
        "kein gültiger Wahrheitswert (true, false, 1 oder 0)",
        "not a valid boolean (true, false, 1 or 0)",
    ),
    "base64Binary": (
        "kein gültiger Base64-Inhalt (Gruppen zu vier Zeichen, korrekt mit '=' aufgefüllt)",
        "not valid Base64 content (groups of four characters, correctly padded with '=')",
    ),
    "hexBinary": ("kein gültiger Hexadezimal-Inhalt", "not valid hexadecimal content"),
    "anyURI": ("keine gültige URI", "not a valid URI"),
    "language": (
        "kein gültiger Sprachcode (z. B. de oder en-GB)",
        "not a valid language code (e.g. de or en-GB)",
    ),
    "ID": ("kein gültiger XML-Name", "not a valid XML name"),
    "NCName": ("kein gültiger XML-Name", "not a valid XML name"),
    "Name": ("kein gültiger XML-Name", "not a valid XML name"),
    "QName": ("kein gültiger qualifizierter Name", "not a valid qualified name"),
}
_INTEGERS = (
    "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long", "int",
    "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
)


def shown(value: str, limit: int = 60) -> str:
    """The value as written, shortened; control characters made visible."""
    v = value.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return v if len(v) <= limit else v[: limit - 1] + "…"


def value_problem(what: str, value: str, st: SType, problem: str) -> tuple[str, str]:
    """``what`` ('cbc:IssueDate' or 'Attribut currencyID') holds ``value``, invalid for ``st``."""
    v = shown(value)
    if problem == "enum":
        allowed = ", ".join(sorted(st.enum or ()))[:200]
        return (
            f"{what}: Der Wert '{v}' ist nicht erlaubt; erlaubt sind: {allowed}.",
            f"{what}: the value '{v}' is not allowed; allowed values: {allowed}.",
        )
    if problem == "length":
        bounds = _bounds(st)
        return (
            f"{what}: Der Wert '{v}' hat eine unzulässige Länge ({bounds[0]}).",
            f"{what}: the value '{v}' has a length that is not allowed ({bounds[1]}).",
        )
    name = st.builtin
    if name in _INTEGERS:
        name = "integer"
    de, en = _EXPECT.get(name, (f"kein gültiger Wert vom Typ xs:{name}", f"not a valid xs:{name} value"))
    return f"{what} '{v}' ist {de}.", f"{what} '{v}' is {en}."


def _bounds(st: SType) -> tuple[str, str]:
    if st.length is not None:
        return f"genau {st.length}", f"exactly {st.length}"
    lo, hi = st.min_len, st.max_len
    if lo is not None and hi is not None:
        return f"{lo} bis {hi}", f"{lo} to {hi}"
    if lo is not None:
        return f"mindestens {lo}", f"at least {lo}"
    return f"höchstens {hi}", f"at most {hi}"
