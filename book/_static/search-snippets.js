/* Readable snippets on the search page.
 *
 * Sphinx's searchtools.js (7.4) fetches each page found and cuts its summary out of the text
 * of the page's [role=main] element (Search.htmlToText, called by Search.makeSearchSummary),
 * before MathJax runs. Inline math is stored as "\( ... \)" text, so the summaries showed raw
 * TeX, and with the theme's [role=main] they also showed the page's table of contents and
 * navigation, and the source of code cells (with MyST markup such as {prf:ref} in strings).
 *
 * This script wraps those two functions of the global `Search` object; nothing else changes.
 * Before the original htmlToText reads a page it
 *   - keeps only the page's article (drops the header buttons, the "Contents" lists, the
 *     previous/next links and the footer that the theme puts inside [role=main]),
 *   - replaces the TeX of every math element by readable text ("\(\varepsilon \le 1\)" ->
 *     "ε ≤ 1"), and
 *   - leaves the source of code cells out, unless a searched word occurs only there (then the
 *     code is kept, with its TeX strings and MyST roles made readable in the same way).
 * makeSearchSummary also looks for the symbol of a searched Greek letter ("epsilon" -> ε),
 * since the word itself is gone from the readable math.
 *
 * The script is loaded on every page (html_js_files) and does nothing where searchtools.js
 * is absent. On search.html it runs before searchtools.js, so it installs itself when the
 * document is parsed; its listener is registered first and so runs before Search.init.
 */
(() => {
  "use strict";

  // ---- TeX -> readable text -------------------------------------------------------------

  const SYMBOLS = {
    // Greek
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ϵ", varepsilon: "ε", zeta: "ζ",
    eta: "η", theta: "θ", vartheta: "ϑ", iota: "ι", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν",
    xi: "ξ", pi: "π", varpi: "ϖ", rho: "ρ", varrho: "ϱ", sigma: "σ", varsigma: "ς", tau: "τ",
    upsilon: "υ", phi: "ϕ", varphi: "φ", chi: "χ", psi: "ψ", omega: "ω",
    Gamma: "Γ", Delta: "Δ", Theta: "Θ", Lambda: "Λ", Xi: "Ξ", Pi: "Π", Sigma: "Σ",
    Upsilon: "Υ", Phi: "Φ", Psi: "Ψ", Omega: "Ω",
    // letter-like
    ell: "ℓ", nabla: "∇", partial: "∂", infty: "∞", hbar: "ℏ", emptyset: "∅", varnothing: "∅",
    // relations and operators
    le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠", ll: "≪", gg: "≫",
    lesssim: "≲", gtrsim: "≳", approx: "≈", simeq: "≃", sim: "∼", cong: "≅", equiv: "≡",
    propto: "∝", in: "∈", notin: "∉", ni: "∋", subset: "⊂", subseteq: "⊆", supset: "⊃",
    supseteq: "⊇", cup: "∪", cap: "∩", setminus: "∖", times: "×", cdot: "·", odot: "⊙",
    otimes: "⊗", oplus: "⊕", circ: "∘", pm: "±", mp: "∓", div: "÷", ast: "∗", star: "⋆",
    top: "⊤", perp: "⊥", mid: "|", parallel: "∥", forall: "∀", exists: "∃", neg: "¬",
    land: "∧", lor: "∨", wedge: "∧", vee: "∨",
    to: "→", rightarrow: "→", leftarrow: "←", gets: "←", mapsto: "↦", Rightarrow: "⇒",
    Leftarrow: "⇐", implies: "⇒", iff: "⇔", Leftrightarrow: "⇔", leftrightarrow: "↔",
    uparrow: "↑", downarrow: "↓", searrow: "↘", nearrow: "↗",
    sum: "∑", prod: "∏", int: "∫", oint: "∮", sqrt: "√",
    dots: "…", ldots: "…", cdots: "⋯", vdots: "⋮", ddots: "⋱",
    // delimiters
    lvert: "|", rvert: "|", vert: "|", lVert: "‖", rVert: "‖", Vert: "‖", "|": "‖",
    langle: "⟨", rangle: "⟩", lceil: "⌈", rceil: "⌉", lfloor: "⌊", rfloor: "⌋",
    "{": "{", "}": "}", "%": "%", "&": "&", "#": "#", _: "_", $: "$",
    // spacing
    ",": " ", ":": " ", ";": " ", ">": " ", " ": " ", "!": "", quad: " ", qquad: " ",
    "\\": " ",
  };
  const FUNCTIONS = new Set([
    "arg", "cos", "cosh", "cot", "coth", "csc", "deg", "det", "dim", "exp", "gcd", "inf",
    "ker", "lim", "liminf", "limsup", "ln", "log", "max", "min", "sec", "sin", "sinh", "sup",
    "tan", "tanh", "Pr", "argmin", "argmax",
  ]);
  const DROPPED = new Set([
    "left", "right", "middle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
    "biggl", "biggr", "Biggl", "Biggr", "displaystyle", "textstyle", "scriptstyle", "limits",
    "nolimits", "rm", "it", "bf", "sf", "tt", "cal", "nonumber", "notag",
  ]);
  const TEXT_ARG = new Set([
    "text", "textrm", "textit", "textbf", "textsf", "texttt", "mathrm", "mathit", "mathbf",
    "mathsf", "mathtt", "boldsymbol", "bm", "operatorname", "mbox", "emph", "hbox",
  ]);
  const ACCENTS = {
    bar: "\u0304", overline: "\u0305", hat: "\u0302", widehat: "\u0302", tilde: "\u0303",
    widetilde: "\u0303", dot: "\u0307", ddot: "\u0308", vec: "\u20d7", check: "\u030c",
    breve: "\u0306", acute: "\u0301", grave: "\u0300",
  };
  const BLACKBOARD = { C: "ℂ", H: "ℍ", N: "ℕ", P: "ℙ", Q: "ℚ", R: "ℝ", Z: "ℤ" };
  const SCRIPT = { B: "ℬ", E: "ℰ", F: "ℱ", H: "ℋ", I: "ℐ", L: "ℒ", M: "ℳ", R: "ℛ" };

  const zip = (from, to) => Object.fromEntries([...from].map((c, i) => [c, [...to][i]]));
  const SUPERSCRIPT = {
    ...zip("0123456789+-−=()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾"),
    ...zip("abcdefghijklmnoprstuvwxyz", "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"),
    ...zip("ABDEGHIJKLMNOPRTUVW", "ᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ"),
    ...zip("βγδθφχ⊤", "ᵝᵞᵟᶿᵠᵡᵀ"),
    ...zip("′'*∗⋆,", "′′*∗⋆,"),
  };
  const SUBSCRIPT = {
    ...zip("0123456789+-−=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎"),
    ...zip("aehijklmnoprstuvx", "ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"),
    ...zip("βγρφχ,", "ᵦᵧᵨᵩᵪ,"),
  };

  // A term that reads unambiguously without parentheses in a/b or √a.
  const SIMPLE = /^[\p{L}\p{N}\p{M}.′'\u00b2\u00b3\u00b9\u1d2c-\u1d6a\u2070-\u209f\u2c7c\u2c7d]+$/u;
  const wrap = (s) => (SIMPLE.test(s) || /^\(.*\)$/.test(s) && balanced(s.slice(1, -1))
    ? s : `(${s})`);
  const balanced = (s) => {
    let depth = 0;
    for (const c of s) {
      depth += c === "(" ? 1 : c === ")" ? -1 : 0;
      if (depth < 0) return false;
    }
    return depth === 0;
  };
  const OPENING = new Set(["lvert", "lVert", "langle", "lceil", "lfloor"]);
  const CLOSING = new Set(["rvert", "rVert", "rangle", "rceil", "rfloor"]);
  const tidy = (s) => s.replace(/\s+/g, " ").replace(/ ([,;.)\]])/g, "$1")
    .replace(/([([]) /g, "$1").trim();

  function script(mark, arg) {
    const table = mark === "^" ? SUPERSCRIPT : SUBSCRIPT;
    const chars = [...arg.replace(/\s+/g, "")];
    if (!chars.length) return "";
    if (chars.every((c) => c in table)) return chars.map((c) => table[c]).join("");
    if (chars.length === 1 && "′'*∗⋆".includes(chars[0])) return chars[0];
    return mark + (chars.length === 1 ? chars[0] : `(${tidy(arg)})`);
  }

  function accent(mark, arg) {
    const chars = [...arg.trim()];
    return chars.length === 1 ? (chars[0] + mark).normalize("NFC") : arg; // y + ̄ -> ȳ
  }

  const LETTERS_AT = /[A-Za-z]+/y;

  class TexReader {
    constructor(tex) {
      this.s = tex;
      this.i = 0;
      this.lastCommand = null;
    }

    // Everything up to the end of the text (or, inside a group, up to its closing brace).
    sequence(inGroup) {
      let out = "";
      while (this.i < this.s.length) {
        if (this.s[this.i] === "}") {
          this.i++;
          if (inGroup) return out;
          continue;
        }
        const text = this.atom();
        // no blank inside |x|, ‖x‖, ⟨x, y⟩, ⌈x⌉: "\lvert g \rvert" -> "|g|"
        if (CLOSING.has(this.lastCommand)) out = out.trimEnd();
        out += text;
      }
      return out;
    }

    // One argument of a command: skips blanks, then a group, a command or one character.
    argument() {
      while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
      if (this.i >= this.s.length || this.s[this.i] === "}") return "";
      return this.atom();
    }

    // An optional [..] argument, returned as raw TeX (or null).
    optional() {
      if (this.s[this.i] !== "[") return null;
      const end = this.s.indexOf("]", this.i);
      if (end < 0) return null;
      const raw = this.s.slice(this.i + 1, end);
      this.i = end + 1;
      return raw;
    }

    // One atom; this.lastCommand is the name of the command it was, or null.
    atom() {
      this.lastCommand = null;
      const c = this.s[this.i++];
      if (c === "{") return this.done(this.sequence(true));
      if (c === "^" || c === "_") return this.done(script(c, this.argument()));
      if (c === "&" || c === "~") return " ";
      if (c !== "\\") return c;
      LETTERS_AT.lastIndex = this.i;
      let name = LETTERS_AT.exec(this.s)?.[0];
      if (name) this.i += name.length;
      else name = this.s[this.i++] ?? "";
      if (OPENING.has(name)) while (/\s/.test(this.s[this.i] ?? "")) this.i++;
      const text = this.command(name);
      this.lastCommand = name;
      return text;
    }

    done(text) {
      this.lastCommand = null;
      return text;
    }

    command(name) {
      if (DROPPED.has(name)) return "";
      if (name === "sqrt") {
        const index = this.optional();
        const root = index === "3" ? "∛" : index === "4" ? "∜" : "√";
        return root + wrap(this.argument());
      }
      if (name in SYMBOLS) return SYMBOLS[name];
      if (FUNCTIONS.has(name)) return name;
      if (TEXT_ARG.has(name)) return this.argument();
      if (name === "mathbb" || name === "mathbbm") {
        return [...this.argument()].map((c) => BLACKBOARD[c] ?? c).join("");
      }
      if (name === "mathcal" || name === "mathscr") {
        return [...this.argument()].map((c) => SCRIPT[c] ?? c).join("");
      }
      if (name in ACCENTS) return accent(ACCENTS[name], this.argument());
      if (/^[dtc]?frac$/.test(name)) {
        const num = tidy(this.argument());
        const den = tidy(this.argument());
        return `${wrap(num)}/${wrap(den)}`;
      }
      if (name === "binom" || name === "tbinom" || name === "dbinom") {
        return `C(${tidy(this.argument())}, ${tidy(this.argument())})`;
      }
      if (name === "begin" || name === "end") {
        this.argument(); // the environment's name
        return " ";
      }
      if (name === "label" || name === "tag" || name === "hspace" || name === "vspace") {
        this.argument();
        return "";
      }
      return name; // unknown command: its name, without the backslash
    }
  }

  /** Readable text for TeX source, with or without its \( \), \[ \] or $ delimiters. */
  function texToText(tex) {
    const body = tex.trim()
      .replace(/^\\\(([\s\S]*)\\\)$/, "$1")
      .replace(/^\\\[([\s\S]*)\\\]$/, "$1")
      .replace(/^\$\$([\s\S]*)\$\$$/, "$1")
      .replace(/^\$([\s\S]*)\$$/, "$1");
    return tidy(new TexReader(body).sequence(false));
  }

  // ---- the page text the snippet is cut from ----------------------------------------------

  // Math left in plain text (outside a math element), or in code: TeX strings and MyST roles.
  const inlineTex = (text) => text
    .replace(/\\\(([\s\S]*?)\\\)/g, (_, tex) => texToText(tex))
    .replace(/\\\[([\s\S]*?)\\\]/g, (_, tex) => texToText(tex))
    .replace(/\$\$([\s\S]*?)\$\$/g, (_, tex) => texToText(tex));
  const readableCode = (text) => inlineTex(text)
    // {prf:ref}`label` -> label, {ref}`text <label>` -> text
    .replace(/\{[\w:-]+\}`([^`]*)`/g, (_, role) => role.replace(/\s*<[^>]*>$/, "") || role)
    .replace(/\$([^$\n]+)\$/g, (_, tex) => texToText(tex.replace(/\\\\/g, "\\")));

  // Keep only the article inside [role=main]: the theme also puts the page's header buttons,
  // its "Contents" lists (screen and print), previous/next links and the footer there.
  function keepArticle(doc) {
    const main = doc.querySelector('[role="main"]');
    const article = main && main.querySelector("article");
    if (!article) return;
    for (let node = article; node !== main; node = node.parentElement) {
      for (const sibling of [...node.parentElement.children]) {
        if (sibling !== node) sibling.remove();
      }
    }
  }

  // A math element holds its TeX as text, and a numbered display also its number (span.eqno,
  // before the TeX): the TeX becomes readable text, followed by the number as on the page.
  function readableMath(el) {
    const texts = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE);
    const tex = texts.map((n) => n.data).join("");
    texts.forEach((n) => n.remove());
    const pad = el.tagName === "SPAN" ? "" : " "; // a display stands apart from its number
    el.prepend(pad + texToText(tex) + pad);
    el.querySelectorAll(".eqno").forEach((number) => el.append(number));
  }

  const contains = (text, words) => {
    const lower = text.toLowerCase();
    return words.some((w) => lower.includes(w.toLowerCase()));
  };

  // Unicode symbols of searched words that name a Greek letter or a letter-like symbol.
  const LETTERS = Object.keys(SYMBOLS).filter((name) => /^[A-Za-z]{2,}$/.test(name)
    && /^[\p{L}∇∂∞]$/u.test(SYMBOLS[name]));
  const symbolsOf = (words) => {
    const found = new Set();
    for (const w of words) {
      const word = w.toLowerCase();
      if (word.length < 2) continue;
      for (const name of LETTERS) {
        const lower = name.toLowerCase();
        if (lower === word || lower === `var${word}`) found.add(SYMBOLS[name]);
      }
    }
    return [...found];
  };

  let searchedWords = null; // set while makeSearchSummary runs

  function install() {
    if (typeof Search === "undefined" || typeof Search.htmlToText !== "function"
        || typeof Search.makeSearchSummary !== "function" || Search.readableSnippets) return;
    const htmlToText = Search.htmlToText;
    const makeSearchSummary = Search.makeSearchSummary;

    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      keepArticle(doc);
      doc.querySelectorAll(".math").forEach(readableMath);
      const cells = [...doc.querySelectorAll(".cell_input")].map((cell) => {
        const mark = doc.createComment("code cell");
        cell.replaceWith(mark);
        return [mark, cell];
      });
      let text = htmlToText(doc.documentElement.outerHTML, anchor);
      if (cells.length && searchedWords && !contains(text, searchedWords)) {
        // a searched word occurs only in code: keep the code, made readable
        for (const [mark, cell] of cells) {
          cell.querySelectorAll("pre").forEach((pre) => {
            pre.textContent = readableCode(pre.textContent);
          });
          mark.replaceWith(cell);
        }
        const withCode = htmlToText(doc.documentElement.outerHTML, anchor);
        if (contains(withCode, searchedWords)) text = withCode;
      }
      return inlineTex(text);
    };

    Search.makeSearchSummary = (htmlText, keywords, anchor) => {
      const words = [...keywords];
      const symbols = symbolsOf(words);
      // the summary starts at the last word of the list that it finds: symbols go first, so
      // they are used only when the page's text has none of the words themselves
      searchedWords = [...symbols, ...words];
      let summary;
      try {
        summary = makeSearchSummary(htmlText, searchedWords, anchor);
      } finally {
        searchedWords = null;
      }
      // searchtools highlights the searched words in the summary; the symbols are done here
      if (summary && typeof SPHINX_HIGHLIGHT_ENABLED !== "undefined" && SPHINX_HIGHLIGHT_ENABLED
          && typeof _highlightText === "function") {
        symbols.forEach((s) => _highlightText(summary, s.toLowerCase(), "highlighted"));
      }
      return summary;
    };

    Search.readableSnippets = { texToText };
  }

  install();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", install);
})();
