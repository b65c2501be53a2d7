"""Files in and out: scenario files, flat claim records, JSON and CSV, national fields, sheets.

- :mod:`.data`: YAML and JSON read exactly (decimals, lines of keys, repeated keys refused);
- :mod:`.scenarios`: scenario files, the public contract, and ``medinsure check``;
- :mod:`.records`: claims from scenario or flat CSV files, settled in file order;
- :mod:`.writers`: settlements as a table, JSON or CSV, and the shipped JSON Schemas;
- :mod:`.national`: a settlement as the national platform's ``setlinfo`` and ``setldetail``;
- :mod:`.codes`: the national code tables every enum of the input also reads;
- :mod:`.sheets`: the discharge settlement sheet, text and HTML;
- :mod:`.masking`: person ids masked in what people read.

This package imports none of its modules: import the one you need.
"""
