using System.Numerics.Tensors;

namespace Sentire.Tensors;

// Broadcasting binary ops. Each forward is followed by its backward: d(a+b) = (g, g), d(a-b) = (g, -g),
// d(a*b) = (g*b, g*a), d(a/b) = (g/b, -g*a/b^2); the adjoint of broadcasting is a sum (Broadcast.SumTo).
public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);

    public Tensor Add(Tensor b)
    {
        var y = BinaryForward(this, b, TensorPrimitives.Add, static (x, s, d) => TensorPrimitives.Add(x, s, d));
        var a = this;
        return y.Record("add", [a, b], g =>
        {
            a.AccumulateGrad(Broadcast.SumTo(g, a.shape));
            b.AccumulateGrad(Broadcast.SumTo(g, b.shape));
        });
    }

    public Tensor Sub(Tensor b)
    {
        var y = BinaryForward(this, b, TensorPrimitives.Subtract, static (x, s, d) => TensorPrimitives.Subtract(x, s, d));
        var a = this;
        return y.Record("sub", [a, b], g =>
        {
            a.AccumulateGrad(Broadcast.SumTo(g, a.shape));
            if (b.RequiresGrad) b.AccumulateGrad(Broadcast.SumTo(g, b.shape).MapNew(TensorPrimitives.Negate));
        });
    }

    public Tensor Mul(Tensor b)
    {
        var y = BinaryForward(this, b, TensorPrimitives.Multiply, static (x, s, d) => TensorPrimitives.Multiply(x, s, d));
        var a = this;
        return y.Record("mul", [a, b], g =>
        {
            if (a.RequiresGrad) a.AccumulateGrad(Broadcast.SumTo(BinaryForward(g, b, TensorPrimitives.Multiply, static (x, s, d) => TensorPrimitives.Multiply(x, s, d)), a.shape));
            if (b.RequiresGrad) b.AccumulateGrad(Broadcast.SumTo(BinaryForward(g, a, TensorPrimitives.Multiply, static (x, s, d) => TensorPrimitives.Multiply(x, s, d)), b.shape));
        });
    }

    public Tensor Div(Tensor b)
    {
        var y = BinaryForward(this, b, TensorPrimitives.Divide, static (x, s, d) => TensorPrimitives.Divide(x, s, d));
        var a = this;
        return y.Record("div", [a, b], g =>
        {
            var gOverB = BinaryForward(g, b, TensorPrimitives.Divide, static (x, s, d) => TensorPrimitives.Divide(x, s, d));
            if (a.RequiresGrad) a.AccumulateGrad(Broadcast.SumTo(gOverB, a.shape));
            if (b.RequiresGrad)
            {
                // -g * a / b^2 = -(g/b) * (a/b) = -(g/b) * y
                var gb = BinaryForward(gOverB, y, TensorPrimitives.Multiply, static (x, s, d) => TensorPrimitives.Multiply(x, s, d));
                TensorPrimitives.Negate(gb.Data, gb.Data);
                b.AccumulateGrad(Broadcast.SumTo(gb, b.shape));
            }
        });
    }

    internal delegate void SpanOp(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst);
    internal delegate void SpanScalarOp(ReadOnlySpan<float> x, float y, Span<float> dst);

    /// <summary>Applies a binary kernel with broadcasting. Fast paths: equal shapes, and a right operand
    /// that repeats along the leading dimensions (bias add, per-feature scale); otherwise row by row.</summary>
    internal static Tensor BinaryForward(Tensor a, Tensor b, SpanOp op, SpanScalarOp scalarOp)
    {
        if (a.shape.AsSpan().SequenceEqual(b.shape))
        {
            var r = Empty(a.shape);
            op(a.Data, b.Data, r.Data);
            return r;
        }
        var outShape = Broadcast.Shape(a.shape, b.shape);
        var y = Empty(outShape);
        int rank = outShape.Length;
        var sa = Broadcast.Strides(a.shape, outShape);
        var sb = Broadcast.Strides(b.shape, outShape);
        // Innermost run: the trailing dims where neither side broadcasts (or one side is a scalar there).
        int inner = outShape[rank - 1];
        int stepA = sa[rank - 1], stepB = sb[rank - 1];
        var dst = y.Data;
        var idx = new int[rank];
        for (int flat = 0; flat < dst.Length; flat += inner)
        {
            int oa = 0, ob = 0;
            for (int d = 0; d < rank - 1; d++) { oa += idx[d] * sa[d]; ob += idx[d] * sb[d]; }
            var o = dst.Slice(flat, inner);
            if (stepA == 1 && stepB == 1) op(a.data.AsSpan(oa, inner), b.data.AsSpan(ob, inner), o);
            else if (stepA == 1) scalarOp(a.data.AsSpan(oa, inner), b.data[ob], o);
            else if (stepB == 1)
            {
                // scalar (broadcast) on the left: fill then apply elementwise keeps operand order right
                o.Fill(a.data[oa]);
                op(o, b.data.AsSpan(ob, inner), o);
            }
            else { o.Fill(a.data[oa]); scalarOp(o, b.data[ob], o); }
            for (int d = rank - 2; d >= 0; d--) { if (++idx[d] < outShape[d]) break; idx[d] = 0; }
        }
        return y;
    }

    /// <summary>A new tensor with <paramref name="op"/> applied to every element (no history).</summary>
    internal Tensor MapNew(Action<ReadOnlySpan<float>, Span<float>> op)
    {
        var r = Empty(shape);
        op(Data, r.Data);
        return r;
    }
}
