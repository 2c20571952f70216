/* Rating page keyboard shortcuts. Every key here is listed in the on-screen legend. */
(function () {
  "use strict";

  var TYPING_INPUTS = ["text", "number", "search", "email", "url", "password", "range"];
  // The page's own keys by action (skip, flag, back, guidelines): the server's one list, which rubrics may not
  // give to an option either. Read once; the legend shows the same list.
  var PAGE_KEYS = readPageKeys();

  function readPageKeys() {
    var holder = document.querySelector("[data-page-keys]");
    var byKey = {};
    if (!holder) { return byKey; }
    var byAction = JSON.parse(holder.dataset.pageKeys);
    Object.keys(byAction).forEach(function (action) { byKey[byAction[action].toLowerCase()] = action; });
    return byKey;
  }

  function rateForm() { return document.getElementById("rate-form"); }
  function criteria() {
    var form = rateForm();
    return form ? Array.prototype.slice.call(form.querySelectorAll(".criterion")) : [];
  }
  function currentCriterion() {
    var el = document.activeElement;
    return el && el.closest ? el.closest(".criterion") : null;
  }
  function isTyping(el) {
    if (!el || !el.tagName) { return false; }
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable) { return true; }
    return el.tagName === "INPUT" && TYPING_INPUTS.indexOf(el.type) !== -1;
  }

  // keepScroll: put the keys on the criterion without moving the page (a new item starts at its top).
  function focusCriterion(criterion, keepScroll) {
    if (!criterion) { return; }
    criteria().forEach(function (c) { c.classList.toggle("is-current", c === criterion); });
    var target = criterion.querySelector("textarea, input[type=range]") ||
      criterion.querySelector("input:checked") || criterion.querySelector("input") || criterion;
    target.focus({ preventScroll: true });
    if (!keepScroll) { criterion.scrollIntoView({ block: "nearest" }); }
  }

  function move(step, from) {
    var list = criteria();
    var next = list[list.indexOf(from || currentCriterion()) + step];
    if (next) { focusCriterion(next); return true; }
    return false;
  }

  // Optional free-text boxes are reached with Tab; after the last choice, Enter should submit.
  function advanceAfterChoice(from) {
    var list = criteria();
    var rest = list.slice(list.indexOf(from) + 1).filter(function (c) {
      return !c.classList.contains("criterion-free_text") || c.querySelector("textarea[required]");
    });
    if (rest.length) { focusCriterion(rest[0]); return; }
    var submit = rateForm().querySelector("button[type=submit]");
    if (submit) { submit.focus(); }
  }

  function firstWithError() {
    return criteria().filter(function (c) { return c.classList.contains("has-error"); })[0];
  }

  function focusFirst() {
    focusCriterion(firstWithError() || criteria()[0]);
  }

  // A new item starts at its top, with the notice ("Saved.") and the start of the item in view and the keys on
  // its first criterion. Answers the server sent back with an error are scrolled to instead.
  function startItem() {
    var error = firstWithError();
    if (error) { focusCriterion(error); return; }
    focusCriterion(criteria()[0], true);
    var panel = document.getElementById("rate-panel");
    if (panel && panel.getBoundingClientRect().top < 0) { panel.scrollIntoView({ block: "start" }); }
  }

  function choose(criterion, key) {
    var inputs = criterion.querySelectorAll("input[data-key]");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].dataset.key === key || inputs[i].dataset.key.toLowerCase() === key.toLowerCase()) {
        var input = inputs[i];
        input.checked = input.type === "checkbox" ? !input.checked : true;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        input.focus();
        // A single choice is complete: go straight to the next criterion.
        if (input.type === "radio") { advanceAfterChoice(criterion); }
        return true;
      }
    }
    return false;
  }

  // htmx wires up swapped-in content only after its settle delay: make sure the form posts through
  // htmx (and gets the next item in place) even when the rater submits within that moment.
  function submitForm(form) {
    if (window.htmx) { window.htmx.process(form); }
    form.requestSubmit();
  }

  function openDialog(id) {
    var dialog = document.getElementById(id);
    if (!dialog) { return false; }
    dialog.open = true;
    var first = dialog.querySelector("input:checked, input[type=text]");
    if (first) { first.focus(); }
    return true;
  }

  function closeDialogs() {
    document.querySelectorAll(".rate-dialog[open]").forEach(function (d) { d.open = false; });
  }

  function goBack() {
    var panel = document.getElementById("rate-panel");
    if (!panel || !panel.dataset.backUrl) { return false; }
    window.location.assign(panel.dataset.backUrl);
    return true;
  }

  function toggleGuidelines() {
    var guidelines = document.getElementById("rate-guidelines");
    if (!guidelines) { return false; }
    guidelines.open = !guidelines.open;
    return true;
  }

  // Each returns whether the page had what the action needs (the revise page has no dialogs, for one).
  var ACTIONS = {
    skip: function () { return openDialog("rate-skip"); },
    flag: function () { return openDialog("rate-flag"); },
    back: goBack,
    guidelines: toggleGuidelines
  };

  function pageAction(key) {
    var action = key.length === 1 ? PAGE_KEYS[key.toLowerCase()] : undefined;
    return action !== undefined && ACTIONS[action] !== undefined && ACTIONS[action]();
  }

  function onDialogKey(event, el) {
    if (event.key === "Escape") {
      event.preventDefault();
      closeDialogs();
      focusFirst();
    } else if (event.key === "Enter" && el.form && el.tagName !== "BUTTON") {
      event.preventDefault();
      submitForm(el.form);
    } else if (el.type === "radio" && event.key.length === 1) {
      var match = el.form.querySelector('input[type=radio][data-key="' + CSS.escape(event.key) + '"]');
      if (match) { event.preventDefault(); match.checked = true; match.focus(); }
    }
  }

  function onKey(event) {
    var form = rateForm();
    if (!form || event.altKey || event.metaKey || event.defaultPrevented) { return; }
    var el = document.activeElement;
    if (el && el.closest && el.closest(".rate-dialog")) { onDialogKey(event, el); return; }
    if (event.ctrlKey) {
      if (event.key === "Enter" && form.contains(el)) { event.preventDefault(); submitForm(form); }
      return;
    }
    if (isTyping(el)) {
      var criterion = currentCriterion();
      if (event.key === "Escape") { event.preventDefault(); if (criterion) { criterion.focus(); } else { el.blur(); } }
      if (el.type === "range" && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
        event.preventDefault();
        move(event.key === "ArrowDown" ? 1 : -1);
      }
      return;
    }
    if (event.key === "Enter" && el && el.tagName === "BUTTON" && el.type === "submit" && el.form === form) {
      event.preventDefault();
      submitForm(form);
      return;
    }
    if (el && (el.tagName === "BUTTON" || el.tagName === "A" || el.tagName === "SUMMARY") && event.key === "Enter") { return; }
    // After a click on the item text nothing has focus: keys still go to the highlighted criterion.
    var current = currentCriterion() ||
      (!el || el === document.body ? form.querySelector(".criterion.is-current") : null);
    // The page's keys come first: no option may take one (the rubric loader refuses them).
    if (pageAction(event.key)) { event.preventDefault(); return; }
    if (current && event.key.length === 1 && choose(current, event.key)) { event.preventDefault(); return; }
    var handled = true;
    switch (event.key) {
      case "ArrowDown": if (!current) { focusFirst(); } else { move(1, current); } break;
      case "ArrowUp":
        // From the Submit button, step back up to the last criterion (usually the rationale box).
        if (current) { move(-1, current); } else if (form.contains(el)) { focusCriterion(criteria().pop()); } else { focusFirst(); }
        break;
      case "Tab": handled = current ? move(event.shiftKey ? -1 : 1, current) : false; break;
      case "Enter": submitForm(form); break;
      case "ArrowLeft": handled = goBack(); break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  }

  function onInput(event) {
    // The slider and the number box show one value; only the number box is submitted.
    var el = event.target;
    if (el.matches("input[type=range][data-sync]")) {
      var box = document.getElementById(el.dataset.sync);
      if (box) { box.value = el.value; }
    } else if (el.matches("input[type=number][id]")) {
      var slider = document.querySelector('input[type=range][data-sync="' + CSS.escape(el.id) + '"]');
      if (slider && el.value !== "") { slider.value = el.value; }
    }
  }

  // An exclusive option ("None of these") goes alone: ticking it clears the criterion's other options, and
  // ticking another clears it. The server refuses the combination too.
  function onChange(event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=checkbox]") || !input.checked) { return; }
    var group = input.closest(".options");
    if (!group) { return; }
    var exclusive = input.hasAttribute("data-exclusive");
    group.querySelectorAll('input[type=checkbox][name="' + CSS.escape(input.name) + '"]').forEach(function (other) {
      if (other !== input && other.checked && (exclusive || other.hasAttribute("data-exclusive"))) { other.checked = false; }
    });
  }

  function onFocusIn() {
    var current = currentCriterion();
    if (current) { criteria().forEach(function (c) { c.classList.toggle("is-current", c === current); }); }
  }

  // A request that fails is not swapped in, so without this the rater would see nothing happen and believe the
  // answer stored. Say it was not, keep the form as it is, and offer to send it again.
  var failedForm = null;
  var NOT_SENT = { "rate-skip": "This item was NOT skipped", "rate-flag": "Your flag was NOT sent" };

  function failureCause(type, xhr) {
    if (type === "htmx:sendError") { return "the server could not be reached"; }
    if (type === "htmx:timeout") { return "the server did not answer in time"; }
    var status = xhr ? xhr.status : 0;
    if (status === 503) { return "the server is unavailable for the moment (503)"; }
    if (status >= 500) { return "the server had an error (" + status + ")"; }
    return "the server refused the request (" + status + ")";
  }

  function errorBox() { return document.getElementById("rate-error"); }

  function hideFailure() {
    var box = errorBox();
    if (box) { box.classList.add("is-hidden"); box.querySelector(".rate-error-text").textContent = ""; }
  }

  function onRequestFailed(event) {
    var source = event.detail && event.detail.elt;
    var form = source && source.closest ? source.closest("form") : null;
    var box = errorBox();
    if (!form || !box || !form.closest("#rate-panel")) { return; }
    failedForm = form;
    var dialog = form.closest(".rate-dialog");
    var what = dialog ? NOT_SENT[dialog.id] : "Your answers were NOT saved";
    var next = dialog ? "Press Retry to send it again." : "They are still selected: press Enter or Retry to send them again.";
    box.classList.remove("is-hidden");
    // Written after the box is shown, so that screen readers announce it.
    box.querySelector(".rate-error-text").textContent = what + ": " + failureCause(event.type, event.detail.xhr) + ". " + next;
    // On Retry, Enter sends again even from a text box, where it would otherwise add a line.
    box.querySelector(".rate-retry").focus({ preventScroll: true });
    box.scrollIntoView({ block: "nearest" });
  }

  function onClick(event) {
    if (!event.target.closest || !event.target.closest(".rate-retry")) { return; }
    var form = failedForm && failedForm.isConnected ? failedForm : rateForm();
    if (form) { submitForm(form); }
  }

  function onBeforeRequest(event) {
    var source = event.detail && event.detail.elt;
    if (source && source.closest && source.closest("#rate-panel")) { hideFailure(); }
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("input", onInput);
  document.addEventListener("change", onChange);
  document.addEventListener("focusin", onFocusIn);
  document.addEventListener("click", onClick);
  // The next item arrives by an htmx swap: start it at its top (or at the first answer with an error).
  document.body.addEventListener("htmx:afterSwap", function () { failedForm = null; startItem(); });
  document.body.addEventListener("htmx:beforeRequest", onBeforeRequest);
  // htmx 2's names: a 4xx/5xx it does not swap, no connection at all, and a request past htmx.config.timeout.
  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.body.addEventListener(name, onRequestFailed);
  });
  startItem();
})();
