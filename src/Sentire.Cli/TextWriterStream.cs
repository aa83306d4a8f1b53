using System.Text;

namespace Sentire.Cli;

/// <summary>
/// A write-only stream whose UTF-8 bytes reach a <see cref="TextWriter"/> as text, chunk by chunk: a character split
/// between two writes is held by the decoder until its last byte comes. Lets a <see cref="System.Text.Json.Utf8JsonWriter"/>
/// write a long record to <see cref="Console.Out"/> without holding it whole, and keeps everything the CLI prints on
/// the one writer that a redirected or captured console replaces (the raw standard-output handle would bypass it).
/// </summary>
public sealed class TextWriterStream(TextWriter writer) : Stream
{
    readonly Decoder decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetDecoder();
    readonly char[] chars = new char[4096];

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            decoder.Convert(buffer, chars, flush: false, out int bytesUsed, out int charsUsed, out _);
            writer.Write(chars, 0, charsUsed);
            buffer = buffer[bytesUsed..];
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Flush() => writer.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
