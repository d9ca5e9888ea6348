// Passkeys on the portal's server-rendered forms. A button with data-passkey="register", "sign-in" or "second-factor"
// asks the portal for WebAuthn options (with the form's antiforgery token), lets the browser create or use a passkey,
// puts the browser's answer into the form's CredentialJson field and submits the form. One listener on the document,
// so it works on pages reached by Blazor's enhanced navigation too.
const endpoints = {
    register: '/account/passkey/creation-options',
    'sign-in': '/account/passkey/request-options',
    'second-factor': '/account/passkey/request-options?step=second-factor',
};

async function run(button) {
    const form = button.closest('form');
    const error = form.querySelector('[data-passkey-error]');
    const kind = button.dataset.passkey;
    try {
        if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
            throw new Error('This browser does not support passkeys.');
        }
        const token = form.querySelector('input[name="__RequestVerificationToken"]').value;
        const response = await fetch(endpoints[kind], { method: 'POST', headers: { RequestVerificationToken: token }, credentials: 'same-origin' });
        if (!response.ok) {
            // A refusal carries a problem body whose title says what to do (e.g. reload a page that is out of date).
            const problem = await response.json().catch(() => null);
            throw new Error(problem && problem.title ? problem.title : `The portal refused (${response.status}).`);
        }
        const options = await response.json();
        const credential = kind === 'register'
            ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })
            : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
        form.querySelector('input[name="CredentialJson"]').value = JSON.stringify(credential);
        form.submit();
    } catch (e) {
        if (error) {
            error.textContent = e.name === 'NotAllowedError' ? 'The passkey request was cancelled or timed out.' : e.message;
        }
    }
}

document.addEventListener('click', event => {
    const button = event.target.closest('button[data-passkey]');
    if (button) {
        event.preventDefault();
        run(button);
    }
});

// Called by the portal over a circuit whose user was signed out under it (disabled, reset, demoted): a full load of
// the sign-in page, which ends the circuit.
window.portalSignedOut = () => location.assign('/account/login');
