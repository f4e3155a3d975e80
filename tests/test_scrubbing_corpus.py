"""skiesish.scrubbing against a corpus: realistic secrets that must not be shown, ordinary values that must.

The secrets are spread over providers and over the places they turn up: environment variables under
innocent and under secret names, URLs, connection strings, JSON, YAML, INI and XML text, command
lines, argument lists, headers and log lines. Their random parts were drawn once, for this table;
none is real. The ordinary values are what an environment dump of a container shows.
"""

from __future__ import annotations

import base64
import json
import shlex

import pytest

from skiesish.scrubbing import is_secret_key, scrub, scrub_text

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
SERVICE_ACCOUNT_JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjRfZ3VzZ0dYdE1sN0NPaHZ6b0JQcmNfX2xfQ2d2ZHk4In0."
    "eyJhdWQiOlsiaHR0cHM6Ly9rdWJlcm5ldGVzLmRlZmF1bHQuc3ZjIl0sImV4cCI6MTc0NjA5MDQwMH0."
    "QALWpCaho80k5rvQIozVBjM_WHzVEZGQaEnPSIRE5aOq8Pp2Ko0YFiM3Qpli5iHWKJR4hL0T7BT"
)
EC_KEY = (
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIBYqT3Kw5rXn0b7nS8m2ZqLkR4vW9pYtJ6cF1dG3hE5aoAoGCCqGSM49\n"
    "AwEHoUQDQgAE3q2+7wT8kPp2Ko0YFiM3Qpli5iHWKJR4hL0T7BTdqKkFJmo5oayi\n"
    "-----END EC PRIVATE KEY-----\n"
)
OPENSSH_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDn7vR2uXq0cW9zS1pT3kL8mN4bV6yH2jF5dA0gE9iKsQAAAJhTb2cZU29n\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
GHP = "ghp_T6zzPItvFCUCO79z5MONALjHfjOLa3L37gJM"
GLPAT = "glpat-XiyANQqrzbELaOAds5RC"
PYPI = (
    "pypi-AgEIcHlwaS5vcmcOYWcYOccvQGErFCvIbTrliP6H6VeKnDPybMntE587HaQ5A4hvLQRZ8NANOVjWNtBKzUmWpgqVd"
    "-UwZrWg00yB69OjYhyZiot5C5aXTk3xEhfArr0xpf6TPVeakJcgqILRTQ3fBBwVeel"
)
AZURE_ACCOUNT_KEY = "ttvN+lWKLW+htTLOI3JxEFBx7TCoO7wkYR7V2NKMXZx0HrkEKC2kxg7i0QltY5rdQtqaaBppQEOUeYy+10WN2g=="
SERVICE_ACCOUNT_JSON = json.dumps(
    {
        "type": "service_account",
        "project_id": "acme-prod",
        "private_key_id": "3f9a1c0e5b7d2a4c6e8f0a1b3c5d7e9f1a2b3c4d",
        "private_key": EC_KEY,
        "client_email": "runtime@acme-prod.iam.gserviceaccount.com",
    }
)
RANDOM_40 = "Pjgf60zM2qr0EgKpcVMZlbHYqhdlJbLLuQ8LdWvq"
OKTA = "00sMpebl3cfdYnog4pMb3L2PWFuSy8OM9GU3hkv6k-"
BASIC = base64.b64encode(b"deploy:B4sic-pw").decode()

#: (name, value, the parts of the value that must never be shown).
SECRETS: list[tuple[str, object, list[str]]] = [
    # -- known token formats under innocent names ------------------------------------------
    ("GITHUB_BOT", GHP, [GHP]),
    ("GH_APP_INSTALLATION", "ghs_ZmXgKKsHMEgSIMhqxahP2EKCBFkLcoZ8d0Xz", ["ZmXgKKsHMEgSIMhqxahP2"]),
    ("GH_CLI_LOGIN", "gho_s4W50I1DtAn4XNlJFLE3kPBsYkeqNCykJveZ", ["s4W50I1DtAn4XNlJFLE3k"]),
    (
        "GITHUB_FINE_GRAINED",
        "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",
        ["cici242HTbskMryNN2SdQHJVg9qVdH"],
    ),
    ("GITLAB_CI_PUSH", GLPAT, [GLPAT]),
    ("GITLAB_RUNNER_REGISTRATION", "glrt-JxOk5GXze91w5lFVMh89", ["JxOk5GXze91w5lFVMh89"]),
    ("GITLAB_DEPLOY", "gldt-E59B0BXQAI6XXJxAUAkQ", ["E59B0BXQAI6XXJxAUAkQ"]),
    ("SLACK_BOT", "xoxb-952924267525-9231666972614-squ2i6SaJLp6niaq5bE1TSKY", ["squ2i6SaJLp6niaq5bE1TSKY"]),
    (
        "SLACK_USER",
        "xoxp-203815940805-193863404568-8950860869541-fef361ab903252e8808dc0294aa527d2",
        ["fef361ab903252e8808dc0294aa527d2"],
    ),
    (
        "SLACK_SOCKET_MODE",
        "xapp-1-A0D7L0JX1XP-2779346780344-6aa9fb811fca6431ed45c8bdfc4e3b5a0e0f0f497ace71ba4291072172790b43",
        ["6aa9fb811fca6431ed45c8bdfc4e3b5a"],
    ),
    (
        "SLACK_ALERTS",
        "https://hooks.slack.com/services/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",
        ["HRygRiMZ7RAQihSx6a6H3xJa", "B0W4AMF3GD"],
    ),
    (
        "STRIPE_LIVE",
        "sk_live_51iyyCjyFz0S0ckhqY2jriLwomZ1aQY7w9flQK453TzVVjJWnJAGr3mGRLSEKysBEWNEeHu3iOrwxRz8FTjzDN9m",
        ["51iyyCjyFz0S0ckhqY2jriLw"],
    ),
    ("STRIPE_RESTRICTED", "rk_live_51zXK83kNcOfAf09DehtYnTFUcc4rYv7HpGd2zd33g", ["51zXK83kNcOfAf09Dehty"]),
    ("STRIPE_WEBHOOK_SIGNING", "whsec_q8Pp2Ko0YFiM3Qpli5iHWKJR4hL0T7BT", ["q8Pp2Ko0YFiM3Qpli5iHW"]),
    ("AWS_ID", "AKIAZBJZQCFGRZ3DAAX2", ["AKIAZBJZQCFGRZ3DAAX2"]),
    ("AWS_TEMPORARY_ID", "ASIAVF7YRV6X5GSSTTXM", ["ASIAVF7YRV6X5GSSTTXM"]),
    ("LEGACY_UPLOADER", "dqKkFJmo5oayiuSSL2pywcfJ7QkhQx/wVOuErdb5", ["dqKkFJmo5oayiuSSL2py", "wVOuErdb5"]),
    ("MAPS_BROWSER", "AIzaLecPjl6HG-IYVGhDoNtTlBnjE9WCaWiUi6j", ["LecPjl6HG-IYVGhDoNtTl"]),
    ("GOOGLE_CLIENT_CONFIG", "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", ["TEH-6o4YO8bCFdJFnvi6Z"]),
    (
        "GCLOUD_ACCESS",
        "ya29.a0AQWEZz9wiugAuIIEay0NsbqLH1WbvCQqRGr1KtAaXBxUvDTTJGwBb-5yiFcEk969jodohFg_272wQbSOBNob3443lK",
        ["a0AQWEZz9wiugAuIIEay0Ns"],
    ),
    ("AZURE_AD_APP", "DOR8Q~B8TV99C3g-47lznvYy.zYJW~z4PDyigRXS", ["B8TV99C3g-47lznvYy"]),
    ("HF_HUB", "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", ["JfwawSAmnlqrkUuDshnbE"]),
    (
        "OPENAI",
        "sk-proj-R5QKez2m2D8k_CXE3Sh26tpxrmy-sk4y5zykEOHB-lk7tJCZmxZ7MDBpaKeC34F3T3BlbkFJZ57s7AxXfpJY46mYi",
        ["R5QKez2m2D8k_CXE3Sh26"],
    ),
    (
        "CLAUDE",
        "sk-ant-api03-mDYEFL60Xk6AJRrEQljwAcSgP6LWomEO1NEYvx1mPX9RLqRO6msL8gn91tuQJVErg-LW-PmBFSn7jSOaD_Z9AA",
        ["mDYEFL60Xk6AJRrEQljwAcSg"],
    ),
    ("PYPI_UPLOAD", PYPI, [PYPI[:40]]),
    ("DOCKERHUB", "dckr_pat_eEIforUBjvybs5CvSAiIQNG12jg", ["eEIforUBjvybs5CvSAiIQ"]),
    (
        "SENDGRID",
        "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",
        ["wcKhivgDnuHXjLtUgbyPsR", "dLKJblltI0dVX_YLDqDNh"],
    ),
    ("MAILGUN", "key-8fc4ced685d361c336654bf6664d6d5e", ["8fc4ced685d361c336654bf6664d6d5e"]),
    ("MAILCHIMP", "444cc0561406f1a2c8f265c7dcaa1483-us21", ["444cc0561406f1a2c8f265c7dcaa1483"]),
    ("TWILIO_API", "SKae9068410abb5e43b01963075a5ff48f", ["ae9068410abb5e43b01963075a5ff48f"]),
    (
        "SQUARE_PROD",
        "EAAAhRjvUbWPXweWytrYAon0klZ9rXWYGplGkAtl16ISvMB9Fn-mB_LypCRTAfuN",
        ["hRjvUbWPXweWytrYAon0"],
    ),
    ("SQUARE_APP", "sq0csp-0PSb3RPIBUgocbwfOmvURAKZ82UPHoYokNc5FWD248h", ["0PSb3RPIBUgocbwfOmvUR"]),
    ("SHOPIFY_ADMIN", "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", ["ad45805f3bb7e49e5785a19b44acea6f"]),
    (
        "HEROKU_PLATFORM",
        "HRKU-AADwToc1CSsN74WYagg2jnLPfEu5kraGPDoku2lIge3iRyaHYxu2cT1jCYUC",
        ["DwToc1CSsN74WYagg2jn"],
    ),
    (
        "DIGITALOCEAN",
        "dop_v1_c6d79e950523fd2c88e391724850025e10ca9bc3904659f6411832f4c7cbdcbf",
        ["c6d79e950523fd2c88e391724850025e"],
    ),
    ("NEW_RELIC_USER", "NRAK-PAC9PC0U9PCDLSKI9A92X0FUNPV", ["PAC9PC0U9PCDLSKI9A92X0FUNPV"]),
    (
        "ERROR_REPORTING",
        "https://6208b5190ab3a1af410f6136337e5a60@o450123.ingest.sentry.io/4504123",
        ["6208b5190ab3a1af410f6136337e5a60"],
    ),
    (
        "SENTRY_CLI",
        "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",
        ["583e3c7bbb2916b805dc49a6ff1e32e6"],
    ),
    (
        "DISCORD_ALERTS",
        "https://discord.com/api/webhooks/1623381578997531436/lsbuZqu8ybk-EI2vQkrWObAXUEryVFs7a2H-W0Ri2N8mGhUik",
        ["lsbuZqu8ybk-EI2vQkrWObAXUEryVFs7"],
    ),
    (
        "DISCORD_BOT",
        "MTrbMfle6nJSSgAp2P1sh1wUcc.tsA23J.M_KmLWHBNY6a0VKcBFsEp5urbCyKZYR4O8xp5z",
        ["M_KmLWHBNY6a0VKcBFsEp"],
    ),
    ("TELEGRAM_BOT", "6640908396:AA0NqDjT30R2kH-efwwBvHMCN9Zqx1cNj7S", ["AA0NqDjT30R2kH-efwwBvHM"]),
    (
        "VAULT_LOGIN",
        "hvs.CAESIW3FZM57rPMLnqv_X2R_fUPqqnmCa_JgNtmaTkqa4KVKXbMgj-_6Nx52xyi0C_bAG-3ySrYalEyIDzm7rBCV8EjWNXQ",
        ["CAESIW3FZM57rPMLnqv_X2R"],
    ),
    ("NOTION", "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", ["ozg7bD9Wm1AWP2oGXg2U"]),
    ("LINEAR", "lin_api_yF48b7ylItEUqL3n0exWT4PBc4ZQXmadxxwDFbvf", ["yF48b7ylItEUqL3n0exWT"]),
    (
        "POSTMAN",
        "PMAK-47698922f54b591e5ddd6f29-946ccf56c47ab665216111a22784b47ec1",
        ["946ccf56c47ab665216111a2"],
    ),
    ("DATABRICKS", "dapi54a2540965c031b70d28d36fcfe58665", ["54a2540965c031b70d28d36fcfe58665"]),
    ("GRAFANA_SERVICE_ACCOUNT", "glsa_JOeraoM9NFLcDGgCYjKNO4zseycoABs2_17d6f8a0", ["JOeraoM9NFLcDGgCYjKNO"]),
    ("PLANETSCALE", "pscale_pw_zaEexRuZbW4k7Hc2zjzQPNmK0XBRQzKhKYJSnA_cjXC", ["zaEexRuZbW4k7Hc2zjzQP"]),
    ("DOPPLER", "dp.pt.KmiAGLTc2hI6nf0lMreIENhlEFEDDawyQiDOChho9KB", ["KmiAGLTc2hI6nf0lMreIE"]),
    (
        "AGE_IDENTITY",
        "AGE-SECRET-KEY-185HZDN00MJ3QV0FQRG6N4VXGQWV3C7X9DMRGVGV00E7A6SFAYHL9ZU5Q6E",
        ["185HZDN00MJ3QV0FQRG6N4V"],
    ),
    ("ALIBABA_ID", "LTAIphVyktB33MwoQLzRDn0c", ["LTAIphVyktB33MwoQLzRDn0c"]),
    ("IDENTITY", JWT, [JWT[:40], "SflKxwRJSMeKKF2QT4fw"]),
    ("KUBE_SERVICE_ACCOUNT", SERVICE_ACCOUNT_JWT, [SERVICE_ACCOUNT_JWT[:40], "QALWpCaho80k5rvQIozV"]),
    ("SERVER_IDENTITY", EC_KEY, ["MHcCAQEEIBYqT3Kw5rXn0b7nS8m2"]),
    ("DEPLOY_IDENTITY", OPENSSH_KEY, ["b3BlbnNzaC1rZXktdjEAAAAABG5v", "QyNTUxOQAAACDn7vR2uXq0"]),
    (
        "GCP_SERVICE_ACCOUNT_JSON",
        SERVICE_ACCOUNT_JSON,
        ["MHcCAQEEIBYqT3Kw5rXn0b7nS8m2", "3f9a1c0e5b7d2a4c6e8f"],
    ),
    # -- random-looking tokens under innocent names -------------------------------------------
    ("WEBHOOK_VERIFY", "z2nBtjnfA3Lxc4lV5tRSHoyO", ["z2nBtjnfA3Lxc4lV5tRSHoyO"]),
    ("SESSION_SIGNER", "uYdnXdo1joYnUALG6d2tD+rWWJRkotwYWoaLHSpj1gc=", ["uYdnXdo1joYnUALG6d2tD"]),
    ("UPLOAD_CODE", "RpGwSReD0ekBhunPvnb_bKdKrCP9BzcZ", ["RpGwSReD0ekBhunPvnb_bKdK"]),
    ("INTEGRATION_OKTA", OKTA, [OKTA[:30]]),
    # -- URLs and connection strings -------------------------------------------------------------
    ("DATABASE_URL", "postgresql://app:Pg-pass-2024@db.internal:5432/app?sslmode=require", ["Pg-pass-2024"]),
    ("ORDERS_DB", "orders:Go-dsn-pw7@tcp(mysql.internal:3306)/orders?parseTime=true", ["Go-dsn-pw7"]),
    ("LOCAL_DB", "root:Un1x-pw@unix(/var/run/mysqld/mysqld.sock)/app", ["Un1x-pw"]),
    ("CACHE_URL", "rediss://default:R3dis-tls-pw@cache.internal:6380/0", ["R3dis-tls-pw"]),
    (
        "MONGO_URI",
        "mongodb+srv://admin:M0ngo-srv-pw@cluster0.abcde.mongodb.net/app?retryWrites=true",
        ["M0ngo-srv-pw"],
    ),
    ("BROKER_URL", "amqps://orders:Rabb1t-pw@mq.internal:5671/orders", ["Rabb1t-pw"]),
    (
        "JDBC_URL",
        "jdbc:postgresql://db.internal:5432/app?user=app&password=Jdbc-pw-77&ssl=true",
        ["Jdbc-pw-77"],
    ),
    ("ORACLE_URL", "jdbc:oracle:thin:scott/T1ger-pw@//db.internal:1521/ORCLPDB1", ["T1ger-pw"]),
    (
        "SQLSERVER",
        "Server=tcp:sql.internal,1433;Database=app;User ID=app;Password=Ms-sql-pw-123;Encrypt=true;",
        ["Ms-sql-pw-123"],
    ),
    ("ODBC", "DRIVER={ODBC Driver 18 for SQL Server};SERVER=sql.internal;UID=sa;PWD={Od8c;pw};", ["Od8c"]),
    ("PG_CONNINFO", "host=db.internal port=5432 dbname=app user=app password='Lib pq pw'", ["Lib pq pw"]),
    (
        "AZURE_STORAGE_CONNECTION_STRING",
        "DefaultEndpointsProtocol=https;AccountName=acmeprod;"
        f"AccountKey={AZURE_ACCOUNT_KEY};EndpointSuffix=core.windows.net",
        [AZURE_ACCOUNT_KEY[:40]],
    ),
    (
        "AZURE_SERVICEBUS",
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        "SharedAccessKey=ozajS8OAJqfVc2sHIgYC8Lo73QDwDP3PMgGLer8UtIY=",
        ["ozajS8OAJqfVc2sHIgYC8Lo"],
    ),
    (
        "BACKUP_CONTAINER",
        "https://acme.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=co&sp=rl"
        "&se=2030-01-01T00:00:00Z&sig=s3uY0OwiZw7jX2Hjy7XM%3D",
        ["s3uY0OwiZw7jX2Hjy7XM"],
    ),
    (
        "EXPORT_LINK",
        "https://bucket.s3.amazonaws.com/report.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAZBJZQCFGRZ3DAAX2%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
        ["AKIAZBJZQCFGRZ3DAAX2", "fe5f80f77d5fa3beca038a248ff027d0"],
    ),
    ("HTTPS_PROXY", "http://proxyuser:Pr0xy-pw@proxy.corp:3128", ["Pr0xy-pw"]),
    ("SQUID", "proxyuser:Pr0xy-bare@proxy.corp:3128", ["Pr0xy-bare"]),
    ("ELASTICSEARCH", "https://elastic:El4stic-pw@es.internal:9200", ["El4stic-pw"]),
    ("SMTP_URL", "smtp://mailer:Sm7p-pw@smtp.example.com:587", ["Sm7p-pw"]),
    ("GIT_REMOTE", f"https://oauth2:{GLPAT}@gitlab.com/acme/app.git", [GLPAT]),
    ("PIP_EXTRA_INDEX_URL", f"https://__token__:{PYPI}@pypi.example.com/simple/", [PYPI[:40]]),
    (
        "CELERY_BROKER",
        "redis://worker:Celery-pw-1@redis-1:6379/1,redis://worker:Celery-pw-2@redis-2:6379/1",
        ["Celery-pw-1", "Celery-pw-2"],
    ),
    (
        "KAFKA_JAAS",
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        'username="app" password="K4fka-pw";',
        ["K4fka-pw"],
    ),
    # -- configuration text ---------------------------------------------------------------------
    (
        "APP_CONFIG_YAML",
        "database:\n  host: db\n  password: Yaml-pw-1\napi_key: yamlKey123\nreplicas: 2\n",
        ["Yaml-pw-1", "yamlKey123"],
    ),
    (
        "APP_CONFIG_BLOCK",
        "credentials:\n  user: app\n  secret: Nested-s3cret\nport: 8080\n",
        ["Nested-s3cret"],
    ),
    (
        "HELM_VALUES",
        "auth:\n  rootPassword: Helm-root-pw\n  username: app\nreplicaCount: 2\n",
        ["Helm-root-pw"],
    ),
    ("APP_CONFIG_JSON", '{"db": {"host": "db", "password": "Js0n-pw"}, "debug": false}', ["Js0n-pw"]),
    (
        "APP_CONFIG_INI",
        "[database]\nhost = db\npassword = Ini-pw-5\n\n[cache]\nurl = redis://cache\n",
        ["Ini-pw-5"],
    ),
    (
        "DOTENV",
        "DB_HOST=db\nDB_PASSWORD=Dotenv-pw\nexport STRIPE_SECRET=Dotenv-stripe\nDEBUG=0\n",
        ["Dotenv-pw", "Dotenv-stripe"],
    ),
    (
        "NUGET_CONFIG",
        '<packageSourceCredentials><feed><add key="Username" value="bot" />'
        '<add key="ClearTextPassword" value="NuG3t-pw" /></feed></packageSourceCredentials>',
        ["NuG3t-pw"],
    ),
    (
        "MAVEN_SETTINGS",
        "<settings><servers><server><id>releases</id><username>deploy</username>"
        "<password>M4ven-pw</password></server></servers></settings>",
        ["M4ven-pw"],
    ),
    ("POETRY_AUTH", '[http-basic.private]\nusername = "ci"\npassword = "T0ml-pw"\n', ["T0ml-pw"]),
    ("PYTHON_REPR", "{'host': 'db', 'password': 'Py-repr-pw', 'port': 5432}", ["Py-repr-pw"]),
    (
        "GOOGLE_JSON_ESCAPED",
        json.dumps({"config": "database:\n  password: Esc-pw-1\napi_key: Esc-key-2\n"}),
        ["Esc-pw-1", "Esc-key-2"],
    ),
    # -- command lines, headers and log lines ---------------------------------------------------
    ("CURL_CMD", "curl -fsS -u admin:Curl-pw-1 https://api.internal/health", ["Curl-pw-1"]),
    ("CURL_HEADER", f"curl -H 'Authorization: Bearer {RANDOM_40}' https://api.internal", [RANDOM_40]),
    ("MYSQL_CMD", "mysql -h db -u root -pMy5ql-pw appdb", ["My5ql-pw"]),
    ("REDIS_CMD", "redis-cli -h cache -a R3dis-cli-pw ping", ["R3dis-cli-pw"]),
    ("GUNICORN_CMD_ARGS", "--bind 0.0.0.0:8000 --password=Cl1-pw --workers 4", ["Cl1-pw"]),
    ("JAVA_TOOL_OPTIONS", "-Djavax.net.ssl.keyStorePassword=Ks-pw-42 -Xmx512m", ["Ks-pw-42"]),
    ("OPENSSL_CMD", "openssl pkcs12 -in cert.p12 -passin pass:P12-pw -nokeys", ["P12-pw"]),
    ("KEYTOOL_CMD", "keytool -list -keystore ks.jks -storepass Store-pw-1", ["Store-pw-1"]),
    ("SSHPASS_CMD", "sshpass -p Ssh-pw-1 ssh deploy@host", ["Ssh-pw-1"]),
    ("PRINTED_ARGV", "Command '['mysql', '-u', 'root', '-pPrinted-pw']' returned 1", ["Printed-pw"]),
    ("HTTP_HEADERS", "Accept: */*\nX-Api-Key: Hdr-key-123\nUser-Agent: probe/1.0", ["Hdr-key-123"]),
    (
        "COOKIE_HEADER",
        "Cookie: sessionid=Sess-abc-123; csrftoken=Csrf-xyz-789",
        ["Sess-abc-123", "Csrf-xyz-789"],
    ),
    (
        "ACCESS_LOG",
        "2024-05-01T12:00:00Z INFO login ok user=bob password=L0g-pw-1 ip=10.0.0.1",
        ["L0g-pw-1"],
    ),
    (
        "JSON_LOG",
        '{"level":"info","msg":"upstream call","headers":{"Authorization":"Bearer ' + JWT + '"}}',
        [JWT[:40]],
    ),
    ("ERROR_TEXT", "ConnectionError: cannot reach amqp://orders:Err-pw-2@mq:5672/ (timed out)", ["Err-pw-2"]),
    (
        "CALLBACK_URL",
        "https://app.example.com/cb?state=xyz&access_token=Cb-tok-7788&expires_in=3600",
        ["Cb-tok-7788"],
    ),
    (
        "IMPLICIT_GRANT",
        "https://app.example.com/cb#access_token=Frag-tok-77&token_type=bearer",
        ["Frag-tok-77"],
    ),
    ("OKTA_HEADER", f"Authorization: SSWS {OKTA}", [OKTA[:30]]),
    ("BASIC_HEADER", f"proxy said: Proxy-Authorization: Basic {BASIC}", [BASIC]),
    ("GITHUB_HEADER", f"GET /user with header Authorization: token {GHP}", [GHP]),
    # -- secret names, values of no particular shape ----------------------------------------------
    ("DB_PASSWORD", "hunter2", ["hunter2"]),
    ("MYSQL_PWD", "a sql password with spaces", ["sql password"]),
    ("APIKEY", "plainapikey", ["plainapikey"]),
    ("apiKey", "camelcasekey", ["camelcasekey"]),
    ("X-Auth-Token", "header-token-value", ["header-token-value"]),
    ("OAUTH_CLIENT_SECRET", "oauthsecretvalue", ["oauthsecretvalue"]),
    ("private_key", "private material", ["private material"]),
    ("SECRET", "shh-it-is-secret", ["shh-it-is-secret"]),
    ("PGPASSWORD", "pgpassvalue", ["pgpassvalue"]),
    ("REDIS_PASS", "redispassvalue", ["redispassvalue"]),
    ("SMTP_PASSWD", "smtppasswdvalue", ["smtppasswdvalue"]),
    ("LDAP_BIND_PW", "ldapbindvalue", ["ldapbindvalue"]),
    ("ENCRYPTION_KEY", "encryptionkeyvalue", ["encryptionkeyvalue"]),
    ("JWT_SECRET", "jwtsecretvalue", ["jwtsecretvalue"]),
    ("SESSION_ID", "s%3Aq1w2e3r4t5y6.AbCdEf", ["q1w2e3r4t5y6"]),
    ("RABBITMQ_DEFAULT_PASS", "rabbitvalue", ["rabbitvalue"]),
    ("MINIO_ROOT_PASSWORD", "miniovalue", ["miniovalue"]),
    ("TF_VAR_db_password", "tfvarvalue", ["tfvarvalue"]),
    ("DJANGO_SECRET_KEY", "django-insecure-7#x!k2@p$w&v9z*q^m3n)r1t(b5y", ["django-insecure-7#x!k2"]),
    ("SSH_PASSPHRASE", "correct horse battery staple", ["horse battery"]),
    ("GITHUB_PAT", "plainpatvalue", ["plainpatvalue"]),
    ("MASTERKEY", "masterkeyvalue", ["masterkeyvalue"]),
    ("TWILIO_AUTH_TOKEN", "bd79c888ee554de83f310f854c050a2c", ["bd79c888ee554de83f310f854c050a2c"]),
    ("DD_API_KEY", "768c88a09339bfc1b89d08f476a716ed", ["768c88a09339bfc1b89d08f476a716ed"]),
    ("NEW_RELIC_LICENSE_KEY", "c274cba5000f6f97031fafdd448d2acb50d62d1c", ["c274cba5000f6f97031fafdd"]),
    ("AWS_SECRET_ACCESS_KEY", "dqKkFJmo5oayiuSSL2pywcfJ7QkhQx/wVOuErdb5", ["dqKkFJmo5oayiuSSL2py"]),
    # -- argument lists (sys.argv) ----------------------------------------------------------------
    ("ARGV_MYSQL_SEPARATE", ["mysql", "-u", "root", "-p", "Argv-pw-1"], ["Argv-pw-1"]),
    ("ARGV_MYSQL_ATTACHED", ["/usr/bin/mysql", "-uroot", "-pArgv-pw-2", "app"], ["Argv-pw-2"]),
    ("ARGV_REDIS_CLI", ["redis-cli", "-h", "cache", "-a", "Argv-pw-3", "ping"], ["Argv-pw-3"]),
    ("ARGV_CURL", ["curl", "-u", "bob:Argv-pw-4", "https://api.internal"], ["Argv-pw-4"]),
    (
        "ARGV_DOCKER_LOGIN",
        ["docker", "login", "-u", "bob", "-p", "Argv-pw-5", "registry.example.com"],
        ["Argv-pw-5"],
    ),
    ("ARGV_SSHPASS", ["sshpass", "-p", "Argv-pw-6", "ssh", "deploy@host"], ["Argv-pw-6"]),
    ("ARGV_LONG_OPTION", ["python", "manage.py", "migrate", "--db-password", "Argv-pw-7"], ["Argv-pw-7"]),
    ("ARGV_URL", ["psql", "postgresql://app:Argv-pw-8@db/app"], ["Argv-pw-8"]),
    (
        "ARGV_LDAPSEARCH",
        ["ldapsearch", "-x", "-D", "cn=admin,dc=example,dc=org", "-w", "Argv-pw-9"],
        ["Argv-pw-9"],
    ),
    ("ARGV_SQLCMD", ["sqlcmd", "-S", "sql", "-U", "sa", "-P", "Argv-pw-10"], ["Argv-pw-10"]),
    ("ARGV_MONGOSH", ["mongosh", "--host", "db", "-u", "admin", "-p", "Argv-pw-11"], ["Argv-pw-11"]),
]

#: (name, value) pairs an environment dump shows as they are.
ORDINARY: list[tuple[str, str]] = [
    ("PWD", "/home/app/src"),
    ("OLDPWD", "/home/app"),
    ("HOME", "/home/app"),
    ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
    ("AUTHOR", "Jane Doe <jane.doe@example.com>"),
    ("HOSTNAME", "web-7d9f8b6c5d-x2k4p"),
    ("LANG", "en_US.UTF-8"),
    ("TERM", "xterm-256color"),
    ("SHELL", "/bin/bash"),
    ("USER", "app"),
    ("LOGNAME", "app"),
    ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
    ("KUBERNETES_SERVICE_PORT", "443"),
    ("KUBERNETES_PORT", "tcp://10.96.0.1:443"),
    ("AUTH_SERVICE_HOST", "10.96.12.7"),
    ("AUTH_SERVICE_PORT", "8080"),
    ("AUTH_PORT_8080_TCP_ADDR", "10.96.12.7"),
    ("TOKEN_EXCHANGE_SERVICE_PORT", "tcp://10.96.3.3:80"),
    ("KEYBOARD_LAYOUT", "us"),
    ("MONKEY", "patched"),
    ("KEYCLOAK_URL", "https://sso.example.com/realms/acme"),
    ("SSH_AUTH_SOCK", "/tmp/ssh-XXXXk3Jd9a/agent.1234"),
    ("XDG_SESSION_ID", "3"),
    ("XDG_SESSION_TYPE", "tty"),
    ("XDG_RUNTIME_DIR", "/run/user/1000"),
    ("TOKENIZERS_PARALLELISM", "false"),
    ("PYTHONPATH", "/app/src"),
    ("GIT_COMMIT", "9fceb02d0ae598e95dc970b74767f19372d61af8"),
    (
        "IMAGE",
        "registry.example.com/team/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
    ("REQUEST_ID", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
    ("K8S_POD_UID", "5C8F0D3E-1A2B-4C3D-9E8F-7A6B5C4D3E2F"),
    ("TRACE_ID", "4bf92f3577b34da6a3ce929d0e0e4736"),
    ("ULID", "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
    ("APP_VERSION", "v1.24.3-rc.1+build.5"),
    ("PYTHON_VERSION", "3.11.7"),
    ("PYTHON_SYS_VERSION", "3.11.7 (main, Dec  8 2023, 14:22:11) [GCC 12.2.0]"),
    ("STARTED_AT", "2024-05-01T12:00:00.123456+00:00"),
    ("DOCS_URL", "https://docs.example.com/en/latest/config.html?highlight=token#secrets"),
    ("DATABASE_HOST", "postgres-primary.db.svc.cluster.local"),
    ("MOTD", "Welcome to the build box; have a nice day!"),
    ("GREETING_B64", base64.b64encode(b"Hello, world! Have a nice day, 2024 edition.").decode()),
    ("JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64"),
    ("NODE_OPTIONS", "--max-old-space-size=4096"),
    ("TZ", "Europe/Paris"),
    ("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt"),
    ("GPG_KEY", "A035C8C19219BA821ECEA86B64E628F8D684696D"),
    (
        "SSH_PUBLIC_KEY",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ci@acme",
    ),
    ("STRIPE_PUBLISHABLE_KEY", "pk_live_51HxYzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEf"),
    ("CI_PIPELINE_URL", "https://gitlab.example.com/acme/app/-/pipelines/123456"),
    ("GITHUB_RUN_ID", "7812345678"),
    ("SESSION_COOKIE_DOMAIN", ".example.com"),
    ("JWT_ALGORITHM", "RS256"),
    ("PASSWORD_MIN_LENGTH", "12"),
    ("TOKEN_TTL", "3600"),
    ("AUTH_URL", "https://login.example.com/oauth2/authorize"),
    ("SECRET_NAME", "prod/app/database"),
    ("PRIVATE_REGISTRY_HOST", "registry.internal:5000"),
    ("NOTE", "The token service is healthy; 3 of 3 replicas are ready."),
    ("BANNER", "Basic configuration loaded from /etc/app/app.yaml"),
    (
        "HEALTH_JSON",
        '{"status": "pass", "checks": {"db": {"status": "pass", "time": "2024-05-01T12:00:00Z"}}, '
        '"version": "1.2.3"}',
    ),
    ("FEDIVERSE", "https://mastodon.social/@acme"),
    ("GO_MODULE", "golang.org/x/net@v0.17.0"),
    ("NPM_PACKAGE", "@types/node@20.11.5"),
    ("GIT_SSH_REMOTE", "git@github.com:acme/app.git"),
    ("MAILTO", "mailto:ops@example.com"),
    ("LS_COLORS", "rs=0:di=01;34:ln=01;36:mh=00:pi=40;33:so=01;35:do=01;35:bd=40;33;01"),
    (
        "UNAME",
        "Linux web-1 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64 GNU/Linux",
    ),
    ("WHEEL", "pydantic_core-2.14.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
    ("JAVA_MAIN", "org.springframework.boot.loader.launch.JarLauncher"),
    ("CLASS_NAMES", "UTF8StringEncoderV2Adapter, MyService2024FinalBuild3, XMLHttpRequest2Level3Handler"),
    (
        "USER_AGENT",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36",
    ),
    ("CRON", "*/5 * * * *"),
    ("IPV6", "fe80::1ff:fe23:4567:890a%eth0"),
    ("AWS_REGION", "eu-west-1"),
    ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/app-runtime"),
    ("ERROR_EXAMPLE", "KeyError: 'missing'"),
    ("CONFIG_ERROR", "'details_token': must not be empty"),
]


def shown(value: object) -> str:
    """What would reach a caller: the scrubbed value as JSON."""
    return json.dumps(scrub(value))


def leaked(rows: list[tuple[str, object, list[str]]], text_of) -> list[str]:
    """The names of the rows one of whose secret parts shows in ``text_of(name, value)``."""
    return [name for name, value, parts in rows if any(part in text_of(name, value) for part in parts)]


def text_line(name: str, value: object) -> str:
    """``value`` as a line of text: a command line for a list, else ``NAME="value"`` (escaped as in JSON)."""
    if isinstance(value, list):
        return shlex.join(value)
    return f"{name}={json.dumps(value)}"


def test_the_corpus_is_big_and_varied():
    """The corpus holds 100 secrets or more, a third under innocent names, and 40 ordinary values or more."""
    innocent = [name for name, value, _ in SECRETS if isinstance(value, str) and not is_secret_key(name)]
    assert (len(SECRETS), len(ORDINARY)) >= (100, 40)
    assert len(innocent) >= len(SECRETS) // 3


def test_no_secret_leaks_from_an_environment():
    """As one environment (lists as sections), scrubbed together: 0 of the corpus's secrets show."""
    scrubbed = scrub({name: value for name, value, _ in SECRETS})
    missing = [name for name, _, _ in SECRETS if name not in scrubbed]
    leaks = leaked(SECRETS, lambda name, _: json.dumps(scrubbed.get(name)))
    assert (missing, leaks) == ([], []), f"{len(leaks)} of {len(SECRETS)} leaked: {leaks}"


def test_no_secret_leaks_from_each_value_alone():
    """Each value scrubbed on its own, under its own name, shows none of its secret."""
    leaks = leaked(SECRETS, lambda name, value: shown({name: value}))
    assert leaks == [], f"{len(leaks)} of {len(SECRETS)} leaked: {leaks}"


def test_no_secret_leaks_from_text_lines():
    """Written as text (NAME="value", a command line, a JSON object), no secret of the corpus shows."""
    as_lines = leaked(SECRETS, lambda name, value: scrub_text(text_line(name, value)))
    as_json = leaked(SECRETS, lambda name, value: scrub_text(json.dumps({name: value})))
    assert (as_lines, as_json) == ([], [])


def test_values_of_innocent_names_are_caught_by_their_shape():
    """A value under an innocent name, scrubbed as bare text, shows none of its secret."""
    innocent = [row for row in SECRETS if isinstance(row[1], str) and not is_secret_key(row[0])]
    leaks = leaked(innocent, lambda _, value: scrub_text(value))
    assert leaks == [], f"{len(leaks)} of {len(innocent)} leaked: {leaks}"


def test_no_ordinary_value_is_masked():
    """As one environment, scrubbed: 0 of the ordinary values change, and no name is taken for a secret."""
    environment = dict(ORDINARY)
    scrubbed = scrub(environment)
    changed = [name for name, value in ORDINARY if scrubbed.get(name) != value]
    assert changed == [], f"{len(changed)} of {len(ORDINARY)} masked: {changed}"


def test_ordinary_text_lines_are_kept():
    """Written as text (the value alone, or NAME="value"), no ordinary value changes."""
    alone = [name for name, value in ORDINARY if scrub_text(value) != value]
    as_lines = [
        name for name, value in ORDINARY if scrub_text(text_line(name, value)) != text_line(name, value)
    ]
    assert (alone, as_lines) == ([], [])


@pytest.mark.parametrize(("name", "value", "parts"), SECRETS, ids=[row[0] for row in SECRETS])
def test_scrubbing_the_corpus_twice_changes_nothing(name, value, parts):
    """Each scrubbed row, scrubbed again, is unchanged."""
    once = scrub({name: value})
    assert scrub(once) == once
    if isinstance(value, str):
        assert scrub_text(scrub_text(value)) == scrub_text(value)
