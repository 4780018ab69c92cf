import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

/**
 * SMTP when `SMTP_URL` is set; otherwise each mail becomes a file in `MAIL_OUTBOX_DIR`. nodemailer is
 * loaded, at start, only by deployments that send through SMTP.
 */
export async function createMailer(config: Config, logger: Logger): Promise<Mailer> {
  if (config.smtpUrl) {
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport(config.smtpUrl);
    return {
      async send(mail) {
        await transport.sendMail({ from: config.mailFrom, ...mail });
        logger.info({ subject: mail.subject }, 'mail sent through SMTP');
      },
    };
  }
  const dir = resolve(config.mailOutboxDir);
  return {
    async send(mail) {
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.eml`);
      const body = [`From: ${config.mailFrom}`, `To: ${mail.to}`, `Subject: ${mail.subject}`, `Date: ${new Date().toUTCString()}`, '', mail.text, ''];
      await writeFile(file, body.join('\r\n'), { mode: 0o600 });
      // The body holds a secret (a recovery code): only where it went is logged.
      logger.info({ file }, 'mail written to the outbox (no SMTP_URL)');
    },
  };
}
