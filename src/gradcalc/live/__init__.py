"""The live page's local web server (standard library only; imported only when a page is served)."""
