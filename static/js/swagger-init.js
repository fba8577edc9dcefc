// Starts Swagger UI on /docs. A file rather than an inline script so the page keeps the app's
// Content-Security-Policy (script-src 'self', no 'unsafe-inline').
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null, // no online validator badge: the page works, and stays quiet, offline
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
