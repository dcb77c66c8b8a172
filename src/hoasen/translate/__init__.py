"""The translation desk: engines behind one interface, a termbase shared with the gazetteer,
name enforcement, translation memory and QA checks.

`types` holds what every part shares (terms, glossaries, QA flags); the parts are
`engines/` (local CTranslate2, LibreTranslate, DeepL, OpenAI-compatible), `termbase`,
`hanviet` (name suggestions), `enforce` (names protected through the engine), `memory`
(TMX) and `qa`.
"""
