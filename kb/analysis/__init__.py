"""Analysis: read job output into failures (parser, scan, tracker, events, matchtext, intake) and decide
what they are (normalise, matcher, terms, embedder, fallback, chooser, suggest). No SQL here."""
