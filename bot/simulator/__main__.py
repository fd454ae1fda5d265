"""Runs the Bot API simulator stand-alone: ``python -m bot.simulator --port 8081``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from bot.simulator.server import BotApiSimulator


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.simulator",
        description="Local Telegram Bot API simulator (control API under /_sim/).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8081, help="TCP port (0 picks a free one)")
    parser.add_argument("--spec", default=None, help="api.json to validate against")
    parser.add_argument("--throttle", action="store_true", help="emulate flood limits (429)")
    parser.add_argument(
        "--transcript", action="store_true", help="print the chat transcript on exit"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every call")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    """Serves until SIGINT or SIGTERM."""
    sim = BotApiSimulator(host=args.host, port=args.port, spec_path=args.spec)
    if args.throttle:
        sim.set_throttle(True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with sim:
        # Printed (and flushed) so that a parent process can wait for readiness and read the port.
        print(f"Bot API simulator on {sim.url}", flush=True)
        print(f"  base_url      {sim.base_url}", flush=True)
        print(f"  base_file_url {sim.base_file_url}", flush=True)
        await stop.wait()
    if args.transcript:
        print(sim.transcript(), flush=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = _parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
