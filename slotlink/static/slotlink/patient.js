// Starts the NHS.UK frontend's components on patient pages (docs/adr/0007-nhsuk-frontend.md):
// the error summary takes focus, buttons ignore a double tap. A module script runs only in
// browsers the design system's JavaScript supports; pages work fully without it.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
