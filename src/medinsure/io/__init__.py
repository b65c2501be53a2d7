"""Files in and out: scenario files, flat claim records, JSON and CSV, national fields, sheets.

- :mod:`.data`: YAML and JSON read exactly (decimals, lines of keys, repeated keys refused);
- :mod:`.scenarios`: scenario files, the public contract, and ``medinsure check``;
- :mod:`.records`: claims from scenario or flat CSV files, settled in file order;
- :mod:`.writers`: settlements as a table, JSON or CSV, and the shipped JSON Schemas;
- :mod:`.national`: the national platform's field names;
- :mod:`.sheets`: the discharge settlement sheet, text and HTML;
- :mod:`.masking`: person ids masked in what people read.

This package imports none of its modules: import the one you need.
"""
