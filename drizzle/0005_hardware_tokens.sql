CREATE TABLE `hardware_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`serial` text NOT NULL,
	`secret_ciphertext` text NOT NULL,
	`secret_key_id` text NOT NULL,
	`totp_algorithm` text DEFAULT 'SHA1' NOT NULL,
	`totp_digits` integer DEFAULT 6 NOT NULL,
	`totp_period` integer DEFAULT 30 NOT NULL,
	`totp_drift` integer DEFAULT 0 NOT NULL,
	`imported_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `hardware_tokens_serial_unique` ON `hardware_tokens` (`serial`);--> statement-breakpoint
ALTER TABLE `users` ADD `token_serial` text;--> statement-breakpoint
CREATE UNIQUE INDEX `users_token_serial` ON `users` (`token_serial`);