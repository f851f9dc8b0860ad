import { pino } from "pino";
import type { DestinationStream, Logger } from "pino";
import pretty from "pino-pretty";
import type { LogFormat, LogLevel } from "./config.js";

/** Paths pino blanks wherever they occur, as a second line of defence behind never logging secrets. */
const REDACT = ["clientSecret", "*.clientSecret", "password", "*.password", "authorization", "*.authorization", "headers.authorization", "*.headers.authorization", "token", "*.token"];

export function createLogger(level: LogLevel, format: LogFormat, destination?: DestinationStream): Logger {
  const options = { level, base: { name: "partner-security-exporter" }, redact: { paths: REDACT, censor: "[redacted]" } };
  if (format === "pretty") return pino(options, pretty({ colorize: process.stdout.isTTY, destination: destination ?? 1, sync: true }));
  return destination ? pino(options, destination) : pino(options);
}
