"""A bare Flask app that answers "hello": what the server bench holds the portal's pages to."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
