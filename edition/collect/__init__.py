"""`edition collect`: web pages and pasted text -> article files of an issue.

One reader per source format (a text paste: `blocks.text_blocks`; a saved web page:
`page` + trafilatura), the shared rules of what a news page's lines are (`lines`,
`dates`), the clean-up (`parse`), and the writing of articles into an issue (`into`).
"""
