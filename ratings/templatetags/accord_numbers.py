"""Numbers as the leaderboard writes them: shares as percentages, differences with their sign."""

from django import template

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    """A share (0.6014) as a percentage ("60%"); None as a dash."""
    if value is None:
        return "—"
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter
def signed(value: float | None, digits: int = 0) -> str:
    """A difference with its sign ("+67", "−12"); None as a dash."""
    if value is None:
        return "—"
    text = f"{abs(float(value)):.{int(digits)}f}"
    if float(text) == 0:
        return text
    return f"+{text}" if float(value) > 0 else f"−{text}"


@register.filter
def signed_points(value: float | None) -> str:
    """A difference of two shares in percentage points with its sign ("+9 pp", "−18 pp")."""
    if value is None:
        return "—"
    return f"{signed(100 * float(value))} pp"


@register.filter
def p_value(value: float | None, n_boot: int = 0) -> str:
    """A p-value to three decimals; 0 from a bootstrap as "< 1/n" (no resample crossed 0), None as a dash."""
    if value is None:
        return "—"
    if value == 0 and n_boot:
        return f"< {1 / int(n_boot):.3f}"
    if value < 0.001:
        return "< 0.001"
    return f"{float(value):.3f}"
