"""The reader: operator chat -> a typed request, read once, every word accounted for.

- ``message.read``: one message -> action, options (time, batch, security only, excludes, packages,
  reboot), the job it names and its target words; each rule records the words it took (``stages``).
- ``targets`` (+ ``lexer``, ``lexicon``): target words -> hosts over one inventory: groups, host variables,
  host names, ranges, globs, Ansible patterns; union, intersection and difference (``expr``); words that stand
  where a target would and that the inventory lacks are reported, never dropped.
- ``parse.parse``: the typed parse of a message (action, target expression, options, time, job, each word's
  place).
- ``conversation.decide``: a whole conversation -> the one tool call (or question) the offline model makes;
  corrections, swaps, "patch those", "cancel it".
- ``placing``: whether a word names hosts of this inventory or can be a package.
- Vocabulary (synonyms, word classes, verbs, fillers) is data: ``vocabulary.yaml`` (``words``). Group names,
  host variables and their values come from the inventory.
"""
