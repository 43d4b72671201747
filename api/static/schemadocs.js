// Starts Swagger UI on the page /schema/docs/ serves, with the document its
// div names. A file of its own, not an inline script: the page's
// Content-Security-Policy allows only scripts from this server.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The tokenAuth scheme's value is sent as it is typed: "Token <key>".
    persistAuthorization: false,
  });
});
