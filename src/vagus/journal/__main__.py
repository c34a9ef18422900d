"""``python -m vagus.journal`` prints docs/export-schema.md, generated from the export's fields."""

from vagus.journal._export import export_schema_markdown

if __name__ == "__main__":
    print(export_schema_markdown(), end="")
