// The new-campaign form: fill the slug from the name as it is typed, until the slug is edited by hand.
// The server makes a blank slug from the name in the same way, so the form works the same without this script.
(function () {
  "use strict";
  const form = document.querySelector("form.campaign-create");
  if (!form) return;
  const name = form.querySelector("input[name=name]");
  const slug = form.querySelector("input[name=slug]");
  if (!name || !slug) return;
  const maxLength = Number(slug.getAttribute("maxlength")) || 80;

  // As Django's slugify: accents dropped, anything but letters, digits, spaces, hyphens and underscores removed,
  // runs of spaces and hyphens made one hyphen, lower case, no hyphen or underscore at either end.
  function slugify(text) {
    return text
      .normalize("NFKD")
      .replace(/[^\x00-\x7f]/g, "")
      .toLowerCase()
      .replace(/[^\w\s-]/g, "")
      .replace(/[-\s]+/g, "-")
      .replace(/^[-_]+|[-_]+$/g, "")
      .slice(0, maxLength - 8)
      .replace(/[-_]+$/g, "");
  }

  // A slug typed by hand (or kept from a refused form) is the owner's: leave it alone.
  let following = slug.value === "" || slug.value === slugify(name.value);
  name.addEventListener("input", function () {
    if (following) slug.value = slugify(name.value);
  });
  slug.addEventListener("input", function () {
    following = slug.value === "";
  });
})();
