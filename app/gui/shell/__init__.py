"""The app's frame: navigation between the sections, layout and theme."""
