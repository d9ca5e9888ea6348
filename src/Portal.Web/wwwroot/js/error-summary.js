// A form's error summary (Components/Pages/Jobs/ErrorSummary.razor) has autofocus, which a browser may skip (it
// honours autofocus once per document, and not at all after an enhanced navigation). This focuses the summary
// when it is on the page, and makes each of its links focus the field it names instead of only scrolling to it.
function focusSummary() {
    const summary = document.querySelector('[data-error-summary]');
    if (summary && !summary.contains(document.activeElement)) {
        summary.focus();
    }
}

document.addEventListener('click', event => {
    const link = event.target instanceof Element ? event.target.closest('[data-error-summary] a[data-field]') : null;
    const field = link ? document.getElementById(link.dataset.field) : null;
    if (field) {
        event.preventDefault();
        field.scrollIntoView({ block: 'center' });
        field.focus();
    }
});

if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', focusSummary);
} else {
    focusSummary();
}
