/* Adjudication page keys. Every key here is shown on the page beside the decision it makes. */
(function () {
  "use strict";

  var TYPING_INPUTS = ["text", "number", "search", "range"];

  function form() { return document.getElementById("adjudicate-form"); }
  function criteria() {
    var f = form();
    return f ? Array.prototype.slice.call(f.querySelectorAll(".adjudicate-criterion")) : [];
  }
  function currentCriterion() {
    var el = document.activeElement;
    return (el && el.closest && el.closest(".adjudicate-criterion")) ||
      (form() ? form().querySelector(".adjudicate-criterion.is-current") : null);
  }
  function isTyping(el) {
    if (!el || !el.tagName) { return false; }
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") { return true; }
    return el.tagName === "INPUT" && TYPING_INPUTS.indexOf(el.type) !== -1;
  }

  function focusCriterion(criterion) {
    if (!criterion) { return; }
    criteria().forEach(function (c) { c.classList.toggle("is-current", c === criterion); });
    criterion.focus({ preventScroll: true });
    criterion.scrollIntoView({ block: "nearest" });
  }

  function move(step, from) {
    var list = criteria();
    var next = list[list.indexOf(from) + step];
    if (next) { focusCriterion(next); return true; }
    if (step > 0) { form().querySelector("button[type=submit]").focus(); return true; }
    return false;
  }

  function setOutcome(criterion, value) {
    var radio = criterion.querySelector('input[name^="outcome-"][value="' + value + '"]');
    if (radio) { radio.checked = true; }
  }

  function chooseValue(criterion, key) {
    var inputs = criterion.querySelectorAll("input[data-key]");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].dataset.key.toLowerCase() === key.toLowerCase()) {
        var input = inputs[i];
        input.checked = input.type === "checkbox" ? !input.checked : true;
        setOutcome(criterion, "final");
        if (input.type !== "radio") { return true; }
        // A value other than the raters' aggregate needs a rationale: go and write it (Esc comes back).
        if (input.value !== criterion.dataset.aggregate) { criterion.querySelector("textarea").focus(); }
        else { move(1, criterion); }
        return true;
      }
    }
    return false;
  }

  function onKey(event) {
    var f = form();
    if (!f || event.altKey || event.metaKey || event.defaultPrevented) { return; }
    var el = document.activeElement;
    if (event.ctrlKey) {
      if (event.key === "Enter") { event.preventDefault(); f.requestSubmit(); }
      return;
    }
    if (isTyping(el)) {
      if (event.key === "Escape") {
        event.preventDefault();
        var inside = el.closest(".adjudicate-criterion");
        if (inside) { focusCriterion(inside); } else { el.blur(); }
      }
      return;
    }
    if (el && (el.tagName === "A" || el.tagName === "SUMMARY") && event.key === "Enter") { return; }
    var current = currentCriterion();
    if (!current) { return; }
    var handled = true;
    switch (event.key) {
      case "?":
        setOutcome(current, "ambiguous");
        current.querySelector("textarea").focus();
        break;
      case "+":
        setOutcome(current, "send_back");
        move(1, current);
        break;
      case "Delete": case "Backspace": setOutcome(current, ""); break;
      case "ArrowDown": move(1, current); break;
      case "ArrowUp": move(-1, current); break;
      case "Tab": handled = move(event.shiftKey ? -1 : 1, current); break;
      case "Enter": f.requestSubmit(); break;
      default:
        handled = event.key.length === 1 && chooseValue(current, event.key);
    }
    if (handled) { event.preventDefault(); }
  }

  // A value typed or picked by mouse is a final value: choosing it says so.
  function onChange(event) {
    var criterion = event.target.closest && event.target.closest(".adjudicate-criterion");
    if (criterion && !event.target.name.startsWith("outcome-") && event.target.tagName !== "TEXTAREA") {
      setOutcome(criterion, "final");
    }
  }

  function onFocusIn() {
    var el = document.activeElement;
    var criterion = el && el.closest ? el.closest(".adjudicate-criterion") : null;
    if (criterion) { criteria().forEach(function (c) { c.classList.toggle("is-current", c === criterion); }); }
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("change", onChange);
  document.addEventListener("input", onChange);
  document.addEventListener("focusin", onFocusIn);
  function focusFirst(scroll) {
    var list = criteria();
    var first = list.filter(function (c) { return c.classList.contains("has-error"); })[0] || list[0];
    if (first) {
      list.forEach(function (c) { c.classList.toggle("is-current", c === first); });
      first.focus({ preventScroll: true });
    }
    if (scroll) { window.scrollTo(0, 0); }
  }

  // A decision that fails to reach the server is not swapped in: say so, keep the form, offer to send it again.
  function onRequestFailed(event) {
    var source = event.detail && event.detail.elt;
    var box = document.getElementById("adjudicate-error");
    if (!box || !source || !source.closest || !source.closest("#adjudicate-form")) { return; }
    var xhr = event.detail.xhr;
    var cause = event.type === "htmx:sendError" ? "the server could not be reached"
      : "the server answered " + (xhr ? xhr.status : "with an error");
    box.textContent = "Nothing was recorded: " + cause + ". Press Enter to send the decisions again.";
    box.hidden = false;
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("change", onChange);
  document.addEventListener("input", onChange);
  document.addEventListener("focusin", onFocusIn);
  document.addEventListener("htmx:responseError", onRequestFailed);
  document.addEventListener("htmx:sendError", onRequestFailed);
  // The next item's panel arrives in place of the last one: start it at its top, first criterion in hand. On
  // swap, not on settle: htmx gives focus back to the element of the old panel's id at once, and keys pressed
  // before the settle would otherwise go there and then be lost when focus moved.
  document.addEventListener("htmx:afterSwap", function () { focusFirst(true); });
  // Settling puts back each element's classes as the server sent them: mark the current criterion again.
  document.addEventListener("htmx:afterSettle", onFocusIn);
  document.addEventListener("DOMContentLoaded", function () { focusFirst(false); });
})();
