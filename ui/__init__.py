"""The Gradio chat page."""
