/**
 * The page script of the WebAuthn ceremonies (served as /assets/passkeys.js, a classic script
 * after @simplewebauthn/browser's UMD bundle). Pages work without it: every passkey form is
 * rendered `hidden` and shown only when the browser can do WebAuthn.
 *
 * A form `data-passkey="sign-in"|"register"` has `data-options` (where to get the options) and
 * its `action` (where to send the result); its fields (csrf_token, request_id, name) go with
 * both as JSON. An answer `{redirect}` navigates there; an error shows its error_description in
 * the form's `[data-passkey-error]`. `data-autofill` on a sign-in form also starts conditional
 * mediation: the username field offers passkeys (autocomplete="username webauthn").
 */
export const PASSKEYS_SCRIPT = `'use strict';
(function () {
  var W = window.SimpleWebAuthnBrowser;
  if (!W || !W.browserSupportsWebAuthn()) return;

  function fields(form) {
    var out = {};
    new FormData(form).forEach(function (value, name) { out[name] = String(value); });
    return out;
  }

  function postJson(url, body) {
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, credentials: 'same-origin', body: JSON.stringify(body) })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            var failure = new Error(data.error_description || '');
            failure.fromServer = true;
            throw failure;
          }
          return data;
        });
      });
  }

  function showError(form, message) {
    var box = form.querySelector('[data-passkey-error]');
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  }

  // The sentences come from the page (data-msg-*: the catalogue, in the person's language).
  function describe(form, error) {
    if (error && error.name === 'NotAllowedError') return form.getAttribute('data-msg-cancelled');
    if (error && error.name === 'InvalidStateError') return form.getAttribute('data-msg-exists');
    return (error && error.fromServer && error.message) || form.getAttribute('data-msg-failed');
  }

  function run(form, autofill) {
    var kind = form.getAttribute('data-passkey');
    var body = fields(form);
    var button = form.querySelector('button');
    if (!autofill && button) button.disabled = true;
    var chosen = false;
    return postJson(form.getAttribute('data-options'), body)
      .then(function (answer) {
        return kind === 'register'
          ? W.startRegistration({ optionsJSON: answer.options })
          : W.startAuthentication({ optionsJSON: answer.options, useBrowserAutofill: autofill });
      })
      .then(function (credential) {
        chosen = true;
        body.response = credential;
        return postJson(form.getAttribute('action'), body);
      })
      .then(function (answer) {
        window.location.assign(answer.redirect);
      })
      .catch(function (error) {
        // Autofill runs unasked (and is aborted whenever another ceremony starts, or refused where
        // the RP ID cannot work, e.g. an IP address): report only what follows a passkey the person chose.
        if (autofill && !chosen) return;
        showError(form, describe(form, error));
      })
      .finally(function () {
        if (button) button.disabled = false;
      });
  }

  var forms = document.querySelectorAll('form[data-passkey]');
  Array.prototype.forEach.call(forms, function (form) {
    form.hidden = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      run(form, false);
    });
    if (form.hasAttribute('data-autofill')) {
      W.browserSupportsWebAuthnAutofill().then(function (supported) {
        if (supported) run(form, true);
      });
    }
  });
})();
`;
