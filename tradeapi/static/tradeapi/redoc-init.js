"use strict";
// Starts Redoc from the container's data attributes (a file rather than an inline script,
// which the docs' Content-Security-Policy does not allow).
(function () {
  // Redoc's bundle draws one asset from another origin, its makers' logo in the sidebar's
  // credit line, and has no option to leave it out. The page's policy would refuse it, but
  // only after the browser had tried; instead an image from another site gets an empty
  // source, which fails at once without a request, and Redoc then drops the image as it
  // does any broken logo. React sets the source both as an attribute and as a property.
  const fromHere = (value) => {
    const url = new URL(String(value), document.baseURI);
    const web = url.protocol === "http:" || url.protocol === "https:";
    return web && url.origin !== location.origin ? "data:," : value;
  };
  const setAttribute = Element.prototype.setAttribute;
  HTMLImageElement.prototype.setAttribute = function (name, value) {
    return setAttribute.call(this, name, name === "src" ? fromHere(value) : value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) {
      src.set.call(this, fromHere(value));
    },
  });

  const container = document.getElementById("redoc-container");
  const settings = JSON.parse(container.dataset.settings || "{}");
  Redoc.init(container.dataset.schemaUrl, settings, container);
})();
