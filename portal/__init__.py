"""The fair-ICT supplier portal."""

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import (
    arguments,
    errors,
    i18n,
    pooling,
    read_requests,
    request_boundary,
    request_limits,
    security,
)
from portal.account.routes import bp as account_bp
from portal.admin.routes import bp as admin_bp
from portal.auth import services as auth_services
from portal.auth.routes import bp as auth_bp
from portal.cli import register_cli
from portal.config import Config, config_from_env
from portal.contracts.routes import bp as contracts_bp
from portal.evidence.routes import bp as evidence_bp
from portal.extensions import babel, csrf, db, limiter, login_manager, migrate
from portal.factories.routes import bp as factories_bp
from portal.findings.routes import bp as findings_bp
from portal.ladder.routes import bp as ladder_bp
from portal.main.routes import bp as main_bp
from portal.orgs import services as orgs_services
from portal.questionnaires.routes import bp as questionnaires_bp
from portal.review.routes import bp as review_bp
from portal.rounds.routes import bp as rounds_bp
from portal.selection.routes import bp as selection_bp
from portal.suppliers.routes import bp as suppliers_bp
from portal.team.routes import bp as team_bp

BASE_DIR = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Build the application. Does no I/O: no queries, migrations or network here."""
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        instance_path=str(BASE_DIR / "instance"),
    )
    _load_config(app, config)

    db.init_app(app)
    pooling.init_app(app, db)
    read_requests.init_app(app, db)
    migrate.init_app(
        app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)

    _trust_proxies(app)
    security.init_app(app)
    auth_services.init_app(app)
    i18n.init_app(app)
    orgs_services.init_app(app)
    request_boundary.init_app(app)
    request_limits.init_app(app)
    errors.init_app(app)
    arguments.init_app(app)
    _register_blueprints(app)
    register_cli(app)
    return app


def _load_config(app: Flask, config) -> None:
    base = config_from_env() if config is None or isinstance(config, dict) else config
    app.config.from_object(base)
    app.config.update(base.settle())
    if isinstance(config, dict):
        app.config.update(config)


def _trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT reverse proxies, take the client's address and scheme from their
    X-Forwarded headers, so that rate limits and the audit log see real clients."""
    count = app.config["PROXY_COUNT"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def _register_blueprints(app: Flask) -> None:
    for blueprint in (
        main_bp,
        auth_bp,
        account_bp,
        team_bp,
        admin_bp,
        questionnaires_bp,
        factories_bp,
        evidence_bp,
        review_bp,
        ladder_bp,
        rounds_bp,
        contracts_bp,
        findings_bp,
        selection_bp,
        suppliers_bp,
    ):
        app.register_blueprint(blueprint)
