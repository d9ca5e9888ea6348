// Keeps a log view scrolled to its newest line while the reader follows it.
export function scrollToEnd(element) {
    if (element) {
        element.scrollTop = element.scrollHeight;
    }
}
