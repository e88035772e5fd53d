"""The questionnaire in a browser (`threatmodel serve`, the optional extra `web`): the same
question flow as `assess`, served on 127.0.0.1 behind a token, one page per section."""
