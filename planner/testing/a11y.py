"""Accessibility checks run inside the page: labels for every control, and text contrast."""

UNLABELLED_CONTROLS_JS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden' && el.type !== 'submit' && el.type !== 'button')
  .filter(el => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
    if (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) return false;
    return !el.closest('label');
  })
  .map(el => el.outerHTML.slice(0, 120))
"""

# WCAG 2.1 relative luminance and contrast ratio, against the first opaque ancestor background.
LOW_CONTRAST_TEXT_JS = """
(minimum) => {
  const parse = c => {
    const m = c.match(/[\\d.]+/g).map(Number);
    return m.length > 3 ? m : [...m, 1];
  };
  const lum = ([r, g, b]) => {
    const f = v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c[3] > 0.99) return c;
    }
    return [255, 255, 255, 1];
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const el = walker.currentNode.parentElement;
    if (!text || !el || seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || style.display === 'none' || rect.width === 0) continue;
    if (el.closest('svg')) continue;
    const fg = parse(style.color), bg = background(el);
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    if (ratio < minimum) failures.push(`${ratio.toFixed(2)}: ${text.slice(0, 40)}`);
  }
  return failures;
}
"""

HORIZONTAL_OVERFLOW_JS = (
    "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
)


def unlabelled_controls(page) -> list[str]:
    return page.evaluate(UNLABELLED_CONTROLS_JS)


def low_contrast_text(page, minimum: float = 4.5) -> list[str]:
    return page.evaluate(LOW_CONTRAST_TEXT_JS, minimum)


def horizontal_overflow(page) -> int:
    return page.evaluate(HORIZONTAL_OVERFLOW_JS)
