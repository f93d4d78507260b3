"""Flet building blocks shared by the sections: labelled buttons, forms, charts, rendering."""
