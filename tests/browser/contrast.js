() => {
  // WCAG 2 contrast of every visible text node against its effective background colour.
  // Returns the failures as strings (empty when every text meets AA: 4.5:1, or 3:1 if large).
  const parse = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage !== "none") return null;  // gradients: judged by eye, not here
      const c = parse(s.backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.99)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest("svg, .visually-hidden, noscript, script")) continue;
    const rect = el.getBoundingClientRect();
    if (!rect.width || !rect.height) continue;
    const s = getComputedStyle(el);
    if (s.visibility === "hidden" || parseFloat(s.opacity) < 1) continue;
    const bg = background(el);
    if (!bg) continue;
    const fg = parse(s.color).slice(0, 3);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      failures.push(`${ratio.toFixed(2)} ${el.tagName.toLowerCase()}.${el.className} "${node.textContent.trim().slice(0, 30)}"`);
    }
  }
  return failures;
}
