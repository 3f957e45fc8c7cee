-- Stamp search ignores case: it looks keys up by the upper-case symbol.
CREATE INDEX keys_symbol_upper ON keys (UPPER(symbol), copy_number);
