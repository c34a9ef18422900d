// The API documentation page (/api/docs, vagus.web.routes.docs): starts Swagger UI, loaded
// from this server by the page's own <script> before this file. No inline script: the app's
// Content-Security-Policy allows only this server's script files.
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  if (root === null || typeof SwaggerUIBundle !== "function") {
    return;
  }
  const csrfHeader = root.dataset.csrfHeader;
  const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);
  let token = null;

  // The CSRF token of this browser's session (GET /api/csrf), asked for once, sent with every
  // unsafe request that "Try it out" makes, as a script of the app's own would.
  async function csrfToken() {
    if (token === null) {
      const answer = await fetch("/api/csrf", { credentials: "same-origin" });
      token = (await answer.json()).token;
    }
    return token;
  }

  // FastAPI writes OpenAPI 3.1; Swagger UI 4 (the swagger-ui-bundle release the project
  // ships) refuses any version but 2.0 and 3.0.n, though it draws FastAPI's 3.1 documents
  // well (what 3.1 adds and FastAPI uses, such as {"type": "null"} in anyOf, shows as a
  // plain schema). So the document is fetched here and shown as 3.0.3; the document the
  // server publishes (/api/openapi.json) stays 3.1.
  async function openapi() {
    const answer = await fetch(root.dataset.openapi, { credentials: "same-origin" });
    const spec = await answer.json();
    if (typeof spec.openapi === "string" && spec.openapi.startsWith("3.1")) {
      spec.openapi = "3.0.3";
    }
    return spec;
  }

  function start(spec) {
    window.ui = SwaggerUIBundle({
      spec: spec,
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      // No badge from validator.swagger.io: the page talks to this server only.
      validatorUrl: null,
      requestInterceptor: async function (request) {
        const method = (request.method || "GET").toUpperCase();
        if (csrfHeader && !safeMethods.has(method)) {
          request.headers[csrfHeader] = await csrfToken();
        }
        return request;
      },
    });
  }

  openapi().then(start);
})();
