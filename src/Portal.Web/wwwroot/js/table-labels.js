// At phone width a table of class "grid" stacks each row's cells (app.css), which loses the column headers. This
// gives every body cell its column's header as data-label, which the stylesheet writes before the cell's content.
// A MutationObserver keeps it true for rows that Blazor adds later (live job lists, enhanced navigation).
function label(table) {
    const headers = [];
    for (const th of table.querySelectorAll(':scope > thead > tr > th')) {
        for (let span = th.colSpan || 1; span > 0; span--) {
            headers.push(th.textContent.trim());
        }
    }

    for (const row of table.querySelectorAll(':scope > tbody > tr')) {
        let column = 0;
        for (const cell of row.cells) {
            const header = headers[column];
            if (header && cell.dataset.label !== header) {
                cell.dataset.label = header;
            }

            column += cell.colSpan || 1;
        }
    }
}

function labelAll() {
    for (const table of document.querySelectorAll('table.grid')) {
        label(table);
    }
}

let pending = false;
new MutationObserver(() => {
    // One pass per frame, however many nodes a render touched.
    if (!pending) {
        pending = true;
        requestAnimationFrame(() => { pending = false; labelAll(); });
    }
}).observe(document.documentElement, { childList: true, subtree: true });
labelAll();
